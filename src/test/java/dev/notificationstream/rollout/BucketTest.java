package dev.notificationstream.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The buckets users fall in: spread evenly, stable, and different for another salt. */
class BucketTest {

    private static final List<String> USERS = IntStream.range(0, 10_000).mapToObj(i -> "user" + i).toList();

    @Test
    void ten_thousand_users_fill_every_bucket_evenly() {
        int[] counts = new int[100];
        USERS.forEach(user -> counts[Rollout.bucket("sse", user)]++);
        for (int bucket = 0; bucket < 100; bucket++) {
            // 100 expected per bucket, standard deviation ~10: 60 to 140 is four of them.
            assertTrue(counts[bucket] > 60 && counts[bucket] < 140, "bucket " + bucket + " holds " + counts[bucket]);
        }
    }

    @Test
    void another_salt_draws_other_users() {
        long same = USERS.stream().filter(user -> Rollout.bucket("sse", user) < 10 == Rollout.bucket("search", user) < 10).count();
        assertNotEquals(USERS.size(), same);
        // Independent draws agree on 0.1 x 0.1 + 0.9 x 0.9 = 82 % of users.
        assertTrue(same < 0.86 * USERS.size() && same > 0.78 * USERS.size(), same + " users agree");
    }

    @Test
    void a_bucket_is_a_pure_function_of_salt_and_name() {
        assertEquals(Rollout.bucket("sse", "alice"), Rollout.bucket("sse", "alice"));
        assertNotEquals(Rollout.bucket("a", "bc"), Rollout.bucket("ab", "c"), "salt and name are kept apart");
    }
}
