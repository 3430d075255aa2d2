package io.starfish.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Route templates keep ids out of metric labels, so the number of series stays bounded. */
class MetricsRoutesTest {

  @Test
  void pathsBecomeTheirRouteTemplates() {
    assertThat(MetricsRoutes.routeOf("/")).isEqualTo("/");
    assertThat(MetricsRoutes.routeOf("/metrics")).isEqualTo("/metrics");
    assertThat(MetricsRoutes.routeOf("/health/ready")).isEqualTo("/health/ready");
    assertThat(MetricsRoutes.routeOf("/api/v1/entities/account/a-17"))
        .isEqualTo("/api/v1/entities/{type}/{id}");
    assertThat(MetricsRoutes.routeOf("/api/v1/entities/counter/c:9"))
        .isEqualTo("/api/v1/entities/{type}/{id}");
    assertThat(MetricsRoutes.routeOf("/api/v1/views/transfers-by-status"))
        .isEqualTo("/api/v1/views/{view}");
    assertThat(MetricsRoutes.routeOf("/api/v1/views")).isEqualTo("/api/v1/views");
    assertThat(MetricsRoutes.routeOf("/api/v1/entities/account/a1/events"))
        .isEqualTo("/api/v1/entities/{type}/{id}/events");
    assertThat(MetricsRoutes.routeOf("/api/v1/entities/account/a1/events/stream"))
        .isEqualTo("/api/v1/entities/{type}/{id}/events/stream");
    assertThat(MetricsRoutes.routeOf("/api/v1/streams/account"))
        .isEqualTo("/api/v1/streams/{type}");
    assertThat(MetricsRoutes.routeOf("/api/v1/sagas/transfer/pending")).isEqualTo("unmatched");
    assertThat(MetricsRoutes.routeOf("/api/v1/cluster")).isEqualTo("/api/v1/cluster");
    assertThat(MetricsRoutes.routeOf("/api/v1/cluster/events")).isEqualTo("/api/v1/cluster/events");
    assertThat(MetricsRoutes.routeOf("/api/v1/admin/entities/account/a-1/crash"))
        .isEqualTo("/api/v1/admin/entities/{type}/{id}/crash");
    assertThat(MetricsRoutes.routeOf("/api/v1/admin/partition"))
        .isEqualTo("/api/v1/admin/partition");
  }

  @Test
  void everythingElseIsOneUnmatchedLabel() {
    assertThat(MetricsRoutes.routeOf("/wp-login.php")).isEqualTo("unmatched");
    assertThat(MetricsRoutes.routeOf("/api/v1/entities/account")).isEqualTo("unmatched");
    assertThat(MetricsRoutes.routeOf("/api/v1/entities/account/a/b")).isEqualTo("unmatched");
    assertThat(MetricsRoutes.routeOf("/api/v2/cluster")).isEqualTo("unmatched");
    assertThat(MetricsRoutes.routeOf("/api/v1/cluster/anything")).isEqualTo("unmatched");
  }
}
