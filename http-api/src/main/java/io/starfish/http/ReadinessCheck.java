package io.starfish.http;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * One condition of {@code /health/ready}.
 *
 * @param name shown in the readiness answer, e.g. "journal"
 * @param check completes with empty when the condition holds, else with the reason it does not
 */
public record ReadinessCheck(String name, Supplier<CompletionStage<Optional<String>>> check) {}
