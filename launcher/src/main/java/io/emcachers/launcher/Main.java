package io.emcachers.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code emcachers} command line. */
@Command(
    name = "emcachers",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description =
        "Per-entity SQLite read caches of MongoDB collections, replicated through a PostgreSQL oplog.",
    subcommands = {
      RunCommand.class,
      DevServicesCommand.class,
      VerifyCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  public static int execute(String... args) {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"emcachers " + (v == null ? "dev" : v)};
    }
  }
}
