package dev.mlb.testkit;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which part of mlb may use which, checked on the compiled main classes of all four modules (see
 * the README, "Architecture"). Modules: mlb-api is used by mlb-netfilter and mlb-iproute, which know
 * nothing of each other; mlb-testkit uses all three. Inside mlb-testkit, from the top: {@code cli};
 * {@code watch}; {@code live}; {@code check}; {@code gen} and {@code kernel}; {@code sim} and {@code policyfile}.
 */
class ArchitectureTest {
  /** The testkit packages {@link #testkitPackagesAreLayered} knows; every testkit class is in one. */
  private static final String[] LAYERS = {
    "dev.mlb.testkit.cli..", "dev.mlb.testkit.watch..", "dev.mlb.testkit.live..", "dev.mlb.testkit.check..",
    "dev.mlb.testkit.gen..", "dev.mlb.testkit.kernel..", "dev.mlb.testkit.sim..", "dev.mlb.testkit.policyfile.."};

  private static JavaClasses mlb;

  @BeforeAll
  static void importClasses() {
    mlb = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.mlb");
  }

  @Test
  void theModulesDependLeftToRight() {
    noClasses().that().resideInAPackage("dev.mlb.api..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mlb.netfilter..", "dev.mlb.iproute..", "dev.mlb.testkit..")
        .check(mlb);
    noClasses().that().resideInAPackage("dev.mlb.netfilter..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mlb.iproute..", "dev.mlb.testkit..")
        .check(mlb);
    noClasses().that().resideInAPackage("dev.mlb.iproute..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mlb.netfilter..", "dev.mlb.testkit..")
        .check(mlb);
  }

  @Test
  void testkitPackagesAreLayered() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("cli").definedBy("dev.mlb.testkit.cli..")
        .layer("watch").definedBy("dev.mlb.testkit.watch..")
        .layer("live").definedBy("dev.mlb.testkit.live..")
        .layer("check").definedBy("dev.mlb.testkit.check..")
        .layer("gen").definedBy("dev.mlb.testkit.gen..")
        .layer("kernel").definedBy("dev.mlb.testkit.kernel..")
        .layer("sim").definedBy("dev.mlb.testkit.sim..")
        .layer("policyfile").definedBy("dev.mlb.testkit.policyfile..")
        .whereLayer("cli").mayNotBeAccessedByAnyLayer()
        .whereLayer("watch").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("live").mayOnlyBeAccessedByLayers("cli", "watch")
        .whereLayer("check").mayOnlyBeAccessedByLayers("cli", "watch", "live")
        .whereLayer("gen").mayOnlyBeAccessedByLayers("cli", "live", "check")
        .whereLayer("kernel").mayOnlyBeAccessedByLayers("cli", "live")
        .whereLayer("sim").mayOnlyBeAccessedByLayers("cli", "live", "check", "gen", "kernel")
        .whereLayer("policyfile").mayOnlyBeAccessedByLayers("cli", "watch", "live", "check", "gen")
        .check(mlb);
  }

  @Test
  void testkitPackagesHaveNoCycles() {
    slices().matching("dev.mlb.testkit.(*)..").should().beFreeOfCycles().check(mlb);
  }

  @Test
  void everyTestkitClassLivesInALayeredPackage() {
    classes().that().resideInAPackage("dev.mlb.testkit..")
        .should().resideInAnyPackage(LAYERS)
        .because("mlb-testkit is split by concern into the layered packages; a new package needs its layer above")
        .check(mlb);
  }
}
