package dev.notificationstream.config;

/**
 * Where this service's own pages are served from. {@code publicOrigins}: comma-separated origins
 * (https://notify.example.com) browsers use to reach it; empty: a request's own Host header says
 * it, which a proxy must pass on unchanged, port included (deploy/nginx: {@code $http_host}).
 */
public record OriginSettings(String publicOrigins) {

    public static OriginSettings from(Config.Source source) {
        Config.Reader read = new Config.Reader(source);
        return new OriginSettings(read.text("PUBLIC_ORIGINS", ""));
    }
}
