package dev.notificationstream.db;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SQL with named parameters ({@code :base}) turned into JDBC's {@code ?}: a read by cursor names
 * the same value in several places, and positions counted by hand drift as the query changes.
 * A cast ({@code ::xid8}) is not a name.
 */
final class NamedSql {

    private static final Pattern NAME = Pattern.compile("(?<![:\\w]):([a-z][a-z_]*)");

    private final String text;
    private final String sql;
    private final List<String> names = new ArrayList<>();

    NamedSql(String text) {
        this.text = text;
        Matcher name = NAME.matcher(text);
        StringBuilder sql = new StringBuilder();
        while (name.find()) {
            names.add(name.group(1));
            name.appendReplacement(sql, "?");
        }
        name.appendTail(sql);
        this.sql = sql.toString();
    }

    /** This statement under EXPLAIN (ANALYZE, BUFFERS): it runs, and returns its plan. */
    NamedSql explained() {
        return new NamedSql("EXPLAIN (ANALYZE, BUFFERS) " + text);
    }

    /** Prepares the statement with every name bound from {@code values} (String, Long, Integer or Array). */
    PreparedStatement prepare(Connection connection, Map<String, Object> values) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                if (!values.containsKey(name)) {
                    throw new IllegalArgumentException("no value for :" + name);
                }
                switch (values.get(name)) {
                    case String text -> statement.setString(i + 1, text);
                    case Long number -> statement.setLong(i + 1, number);
                    case Integer number -> statement.setInt(i + 1, number);
                    case Array array -> statement.setArray(i + 1, array);
                    default -> throw new IllegalArgumentException("cannot bind :" + name);
                }
            }
            return statement;
        } catch (SQLException | RuntimeException failed) {
            statement.close();
            throw failed;
        }
    }

    @Override
    public String toString() {
        return sql;
    }
}
