package dev.notificationstream.model;

import java.util.Arrays;

/**
 * A PostgreSQL {@code pg_snapshot}: which transactions had committed when it was taken.
 * A transaction id is unseen by the snapshot when it is {@code >= xmax} or listed in {@code xip}.
 * The text form is PostgreSQL's own, {@code xmin:xmax:xip1,xip2}, so it goes to SQL as a
 * {@code ?::pg_snapshot} parameter unchanged.
 */
public record Snapshot(long xmin, long xmax, long[] xip) {

    /** More in-progress ids than any real server has backends; keeps a hostile cursor small. */
    static final int MAX_XIP = 4096;

    public Snapshot {
        if (xmin < 1 || xmax < xmin) {
            throw new IllegalArgumentException("snapshot bounds out of order");
        }
        // pg_snapshot_in's rule: a bound whose 32-bit transaction id is 0 (InvalidTransactionId, in
        // any epoch: a multiple of 2^32) is no transaction at all.
        if ((int) xmin == 0 || (int) xmax == 0) {
            throw new IllegalArgumentException("snapshot bound is not a transaction id");
        }
        if (xip.length > MAX_XIP) {
            throw new IllegalArgumentException("snapshot lists too many transactions");
        }
        long previous = xmin;
        for (long id : xip) {
            // The same rule pg_snapshot_in applies: xmin <= xip < xmax, ascending.
            if (id < previous || id >= xmax) {
                throw new IllegalArgumentException("snapshot transaction list out of range");
            }
            previous = id;
        }
    }

    public static Snapshot parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("snapshot needs three fields");
        }
        long[] xip = parts[2].isEmpty()
                ? new long[0]
                : Arrays.stream(parts[2].split(",", -1)).mapToLong(Snapshot::parseXid).toArray();
        return new Snapshot(parseXid(parts[0]), parseXid(parts[1]), xip);
    }

    private static long parseXid(String digits) {
        if (digits.isEmpty() || digits.length() > 19 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || digits.length() == 19 && digits.compareTo(Long.toString(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("snapshot field is not a transaction id");
        }
        return Long.parseLong(digits);
    }

    /** True when a committed row written by transaction {@code txid} was not visible to this snapshot. */
    public boolean unseen(long txid) {
        return txid >= xmax || Arrays.binarySearch(xip, txid) >= 0;
    }

    /**
     * True when this snapshot saw every transaction {@code earlier} saw (as any snapshot taken after
     * it does): then the rows this one had not seen are among those {@code earlier} had not seen.
     */
    public boolean seesAllOf(Snapshot earlier) {
        if (xmax < earlier.xmax) {
            return false;
        }
        for (long id : xip) {
            if (id >= earlier.xmax) {
                break; // ascending: the rest are unseen by earlier too
            }
            if (Arrays.binarySearch(earlier.xip, id) < 0) {
                return false; // earlier saw it completed, this one did not
            }
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder().append(xmin).append(':').append(xmax).append(':');
        for (int i = 0; i < xip.length; i++) {
            text.append(i == 0 ? "" : ",").append(xip[i]);
        }
        return text.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Snapshot s && s.xmin == xmin && s.xmax == xmax && Arrays.equals(s.xip, xip);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(xmin) * 31 + Long.hashCode(xmax) * 17 + Arrays.hashCode(xip);
    }
}
