package io.starfish.persistence;

import io.starfish.persistence.internal.FencedCassandraJournal;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.cassandra.KeyspaceAndTableStatements;
import org.apache.pekko.persistence.cassandra.PluginSettings;

/**
 * The CQL that creates the journal's and the snapshot store's keyspaces and tables, as this
 * configuration names and replicates them, including Starfish's fence column. Production creates
 * the schema with it beforehand (with autocreation off, a node needs no right to create or alter
 * tables); {@code bin/starfish-node schema} prints it. The statements come from the journal plugin
 * itself, so they match the plugin version in use.
 */
public final class CassandraSchema {

  private static final String PLUGIN = "pekko.persistence.cassandra";

  private CassandraSchema() {}

  /** Every statement, in the order to run them, each without its trailing semicolon. */
  public static List<String> statements(ActorSystem system) {
    KeyspaceAndTableStatements plugin =
        new KeyspaceAndTableStatements(system, PLUGIN, PluginSettings.apply(system));
    String journal =
        system.settings().config().getConfig(PLUGIN + ".journal").getString("keyspace");
    String table = system.settings().config().getConfig(PLUGIN + ".journal").getString("table");
    String fence = FencedCassandraJournal.FENCE_COLUMN + " bigint static";
    String messages = "CREATE TABLE IF NOT EXISTS " + journal + "." + table + " (";
    List<String> statements = new ArrayList<>();
    statements.add(plugin.createJournalKeyspaceStatement());
    boolean fenced = false;
    for (String statement : plugin.getCreateJournalTablesStatements()) {
      // The single-writer fence (FencedCassandraJournal) as a column of the messages table, so
      // that the script can run again; a node adds it itself (ALTER) when it may.
      if (statement.strip().startsWith(messages) && statement.contains("  PRIMARY KEY (")) {
        statement = statement.replace("  PRIMARY KEY (", "  " + fence + ",\n  PRIMARY KEY (");
        fenced = true;
      }
      statements.add(statement);
    }
    if (!fenced) { // the plugin's statement changed shape: add the column afterwards
      statements.add("ALTER TABLE " + journal + "." + table + " ADD " + fence);
    }
    statements.add(plugin.createSnapshotKeyspaceStatement());
    statements.addAll(plugin.getCreateSnapshotTablesStatements());
    return statements.stream().map(s -> s.strip()).toList();
  }

  /** The statements as a CQL script (for cqlsh -f). */
  public static String script(ActorSystem system) {
    return String.join(";\n\n", statements(system)) + ";\n";
  }
}
