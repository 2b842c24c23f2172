package dev.notificationstream.launch;

/**
 * The local run's token sign-in: a development secret (set only by the run commands, never a
 * default of the application) and a command to mint a token with it, printed at start-up.
 */
final class DevToken {

    /** Known to anyone who reads this file: for the local run only. */
    static final String SECRET = "local-development-secret-never-use-in-production";

    private DevToken() {}

    /** A shell line that mints an HS256 token for alice (roles: user) valid for an hour, with Python's standard library only. */
    static String mintCommand() {
        return "TOKEN=$(python3 -c 'import base64,hashlib,hmac,json,sys,time;"
                + "b=lambda d:base64.urlsafe_b64encode(d).rstrip(b\"=\");"
                + "m=b(json.dumps({\"alg\":\"HS256\",\"typ\":\"JWT\"}).encode())+b\".\"+"
                + "b(json.dumps({\"sub\":sys.argv[1],\"roles\":[\"user\"],\"exp\":int(time.time())+3600}).encode());"
                + "print((m+b\".\"+b(hmac.new(b\"" + SECRET + "\",m,hashlib.sha256).digest())).decode())' alice)";
    }

    static String banner(int port) {
        return "Tokens signed with the development secret sign in too (AUTH_TOKEN_SECRET=" + SECRET + "):\n"
                + "  " + mintCommand() + "\n"
                + "  curl -H \"Authorization: Bearer $TOKEN\" http://localhost:" + port + "/api/notifications";
    }
}
