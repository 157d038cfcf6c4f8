package dev.mlb.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.immutables.value.Value;

/**
 * The one Immutables style every mlb aggregate uses.
 *
 * <pre>{@code
 * @Value.Immutable
 * @MlbStyle
 * public abstract class Rule {
 *   public static Builder builder() { return new Builder(); }
 *   public static final class Builder extends ImmutableRule.Builder {}
 *   ...
 * }
 * }</pre>
 *
 * <p>The generated {@code Immutable*} classes stay package-private; users see the abstract type and
 * its nested {@code Builder}, whose setters return that {@code Builder}. Collections are Guava
 * immutable collections, so iteration order is insertion order and rendered output is
 * deterministic. Annotation-only: nothing of Immutables is needed at run time.
 */
@Target({ElementType.PACKAGE, ElementType.TYPE})
@Retention(RetentionPolicy.CLASS)
@Value.Style(
    visibility = Value.Style.ImplementationVisibility.PACKAGE,
    builderVisibility = Value.Style.BuilderVisibility.PUBLIC,
    overshadowImplementation = true,
    defaults = @Value.Immutable(copy = true, prehash = false),
    allParameters = false,
    privateNoargConstructor = false)
public @interface MlbStyle {}
