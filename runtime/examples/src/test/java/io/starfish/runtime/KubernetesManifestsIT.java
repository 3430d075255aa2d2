package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.persistence.testing.TestTools;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/ checked offline, as far as that goes without a Kubernetes cluster or a Docker engine: the
 * manifests against the Kubernetes API schemas and against each other and Starfish
 * (validate-manifests.mjs says what exactly), and the Dockerfile against the distribution.
 */
class KubernetesManifestsIT {

  private static final Pattern VARIABLE = Pattern.compile("STARFISH_[A-Z0-9_]+");
  private static final List<String> NODE_CONFIGURATION =
      List.of(
          "application.conf",
          "node.conf",
          "cluster.conf",
          "http.conf",
          "cassandra.conf",
          "reference.conf",
          "logback.xml");

  @Test
  void theManifestsMatchTheKubernetesSchemasEachOtherAndStarfish() throws Exception {
    Path root = TestTools.ensureInstalled();
    Path script = Path.of(getClass().getResource("/validate-manifests.mjs").toURI());
    Set<String> known = variablesTheNodeReads();
    assertThat(known).contains("STARFISH_JOIN", "STARFISH_CASSANDRA_CONTACT_POINTS");

    Process node =
        new ProcessBuilder(
                "node",
                script.toString(),
                root.resolve(".starfish/test-tools").toString(),
                root.resolve("deploy/kubernetes").toString(),
                String.join(",", known))
            .redirectErrorStream(true)
            .start();
    String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
    System.out.print("[kubernetes] " + output.replace("\n", "\n[kubernetes] "));
    assertThat(output).contains("problems: 0");
    assertThat(node.exitValue()).as(output).isZero();
    assertThat(output)
        .contains(
            "valid deployment.yaml: Deployment/starfish",
            "valid service.yaml: Service/starfish",
            "valid pdb.yaml: PodDisruptionBudget/starfish",
            "valid rbac.yaml: Role/starfish-pod-reader",
            "valid rbac.yaml: RoleBinding/starfish-pod-reader",
            "valid serviceaccount.yaml: ServiceAccount/starfish");
  }

  @Test
  void theDockerfileCopiesTheDistributionAndStartsItsScript() throws Exception {
    Path root = TestTools.projectRoot();
    String dockerfile = Files.readString(root.resolve("deploy/docker/Dockerfile"));
    Matcher copy = Pattern.compile("(?m)^COPY (\\S+) (\\S+)$").matcher(dockerfile);
    assertThat(copy.find()).as("a COPY line").isTrue();
    assertThat(root.resolve(copy.group(1))).as("what COPY takes (after package)").isDirectory();
    Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT \\[\"(\\S+)\"\\]$").matcher(dockerfile);
    assertThat(entrypoint.find()).as("an ENTRYPOINT").isTrue();
    String inImage = entrypoint.group(1);
    assertThat(inImage).startsWith(copy.group(2));
    assertThat(root.resolve(copy.group(1)).resolve(inImage.substring(copy.group(2).length())))
        .as("the ENTRYPOINT inside the copied distribution")
        .isExecutable();
  }

  /** Every STARFISH_* name in the node's configuration files, as the class path has them. */
  private static Set<String> variablesTheNodeReads() throws IOException {
    Set<String> names = new TreeSet<>();
    for (String resource : NODE_CONFIGURATION) {
      for (URL url : Collections.list(ClassLoader.getSystemClassLoader().getResources(resource))) {
        try (InputStream in = url.openStream()) {
          Matcher m = VARIABLE.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
          while (m.find()) {
            names.add(m.group());
          }
        }
      }
    }
    return names;
  }
}
