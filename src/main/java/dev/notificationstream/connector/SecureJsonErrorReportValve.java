package dev.notificationstream.connector;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.JsonErrorReportValve;

/**
 * Tomcat's JSON error report (no stack trace, no server version) with the headers of
 * {@link SecurityHeaders}: the errors Tomcat answers before the application sees the request (a
 * header over maxHttpRequestHeaderSize, {@code HTTP/1.2}, {@code Transfer-Encoding: xchunked}, an
 * undeployed context) never pass the application's filter. Named by server.xml's Host as its
 * errorReportValveClass, so it is the only error report.
 */
public class SecureJsonErrorReportValve extends JsonErrorReportValve {

    public SecureJsonErrorReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        if (!response.isCommitted()) {
            SecurityHeaders.set(response::setHeader);
        }
        super.report(request, response, throwable);
    }
}
