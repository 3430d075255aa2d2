package io.starfish.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped logback.xml: one line per event, text or JSON by configuration, node and entity. */
class LoggingConfigTest {

  private static final String NODE = "127.0.0.1:25520";

  /** A fresh Logback context configured from the runtime's logback.xml. */
  private static LoggerContext configure(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    if (format != null) {
      context.putProperty("starfish.log.format", format);
    }
    context.putProperty(NodeLogging.NODE_PROPERTY, NODE);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(LoggingConfigTest.class.getResource("/logback.xml"));
    return context;
  }

  private static String encode(LoggerContext context, Map<String, String> mdc) {
    Logger logger = context.getLogger("io.starfish.example");
    AsyncAppender async =
        (AsyncAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("ASYNC");
    assertThat(async).as("the root logger's ASYNC appender").isNotNull();
    @SuppressWarnings("unchecked")
    OutputStreamAppender<ILoggingEvent> target =
        (OutputStreamAppender<ILoggingEvent>) async.iteratorForAppenders().next();
    LoggingEvent event =
        new LoggingEvent(
            Logger.class.getName(),
            logger,
            Level.INFO,
            "entity {} recovered",
            null,
            new Object[] {"a-1"});
    event.setMDCPropertyMap(mdc);
    return new String(target.getEncoder().encode(event), StandardCharsets.UTF_8);
  }

  @Test
  void textIsTheDefaultAndNamesTheNodeAndTheEntity() throws Exception {
    LoggerContext context = configure(null);
    String line = encode(context, Map.of("entityType", "account", "entityId", "a-1"));
    assertThat(line).endsWith(System.lineSeparator());
    assertThat(line.strip()).doesNotContain("\n");
    assertThat(line)
        .contains("INFO")
        .contains("[" + NODE + "]")
        .contains("[account/a-1]")
        .contains("entity a-1 recovered");
    String outsideEntities = encode(context, Map.of());
    assertThat(outsideEntities).doesNotContain("[/]").contains("[" + NODE + "]");
    context.stop();
  }

  @Test
  void jsonIsSelectedByConfigurationAndCarriesTheMdcAndTheNode() throws Exception {
    LoggerContext context = configure("json");
    String line = encode(context, Map.of("entityType", "account", "entityId", "a-1"));
    assertThat(line.strip()).as("one line per event").doesNotContain("\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("loggerName").asText()).isEqualTo("io.starfish.example");
    assertThat(json.path("mdc").path("entityId").asText()).isEqualTo("a-1");
    assertThat(json.path("mdc").path("entityType").asText()).isEqualTo("account");
    assertThat(json.path("context").path("properties").path(NodeLogging.NODE_PROPERTY).asText())
        .isEqualTo(NODE);
    assertThat(json.path("formattedMessage").asText()).isEqualTo("entity a-1 recovered");
    context.stop();
  }

  @Test
  void anUnknownFormatIsAClearErrorInsteadOfSilence() {
    assertThat(NodeLogging.formatProblem(null, null)).isEmpty();
    assertThat(NodeLogging.formatProblem("json", null)).isEmpty();
    assertThat(NodeLogging.formatProblem(null, "text")).isEmpty();
    assertThat(NodeLogging.formatProblem(null, "JSON"))
        .hasValue("STARFISH_LOG_FORMAT is \"JSON\"; expected text or json");
    assertThat(NodeLogging.formatProblem("xml", "json"))
        .hasValue("-Dstarfish.log.format is \"xml\"; expected text or json");
  }
}
