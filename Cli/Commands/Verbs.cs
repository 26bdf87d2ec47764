using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace NetGen.CommandLine;

/// <summary>
/// The command tree: every verb as a System.CommandLine command, each with its options, their
/// defaults and its examples in its own <c>--help</c>; <c>--version</c>; the networks and devices
/// under the top-level help.
/// </summary>
internal static class Verbs
{
    private static readonly ConditionalWeakTable<Command, string[]> Examples = new();

    /// <summary>What help and error messages call the program: <c>netgen</c> here, a user's own program's name elsewhere.</summary>
    public static string ProgramName => Path.GetFileNameWithoutExtension(Environment.ProcessPath) is { } name && name != "dotnet" && !name.StartsWith("testhost", StringComparison.Ordinal)
        ? name : "netgen";

    public static RootCommand Root()
    {
        var root = new RootCommand("Build-time neural networks: shapes checked by the compiler, generated kernels, training with progress, curves and checkpoints.");
        foreach (var verb in new[]
        {
            ShapesCommand.Create(), PlanCommand.Create(), InitCommand.Create(), ForwardCommand.Create(), StepCommand.Create(),
            BenchCommand.Create(), TrainCommand.Create(), EvalCommand.Create(), ClassifyCommand.Create(), FiltersCommand.Create(),
            SimilarCommand.Create(), ExportCommand.Create(), ImportCommand.Create(), RanksCommand.Create(), CompletionCommand.Create(),
        })
            root.Subcommands.Add(verb);
        WithExamples(root, "train", "train minialexnet --epochs 5", "shapes alexnet", "train --help");
        foreach (var help in root.Options.OfType<HelpOption>())
            if (help.Action is HelpAction action)
                help.Action = new HelpWithExamples(action);
        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Description = "Show the NetGen version (and this program's, when it is not netgen)";
            version.Action = new PrintVersion();
        }
        return root;
    }

    /// <summary>Lines shown under "Examples:" in <paramref name="command"/>'s help, each after the program's name.</summary>
    public static Command WithExamples(Command command, params string[] lines)
    {
        Examples.AddOrUpdate(command, lines);
        return command;
    }

    /// <summary>The version <c>--version</c> prints: the NetGen.Cli package's.</summary>
    public static string Version =>
        typeof(Verbs).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    /// <summary>The library's help, then the command's examples, and under the top-level help the networks, devices and exit codes.</summary>
    private sealed class HelpWithExamples(HelpAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = help.Invoke(parseResult);
            var command = parseResult.CommandResult.Command;
            var output = parseResult.InvocationConfiguration.Output;
            if (Examples.TryGetValue(command, out var lines))
            {
                output.WriteLine("Examples:");
                foreach (string line in lines)
                    output.WriteLine($"  {ProgramName} {line}");
                output.WriteLine();
            }
            if (command is RootCommand)
            {
                output.WriteLine($"Networks: {(NetworkCatalog.Names is { Length: > 0 } names ? names : "none declared in this program")} (by class name, in any case)");
                output.WriteLine($"Devices: {string.Join(", ", Device.Kinds)} (--device; auto takes a GPU when there is one, else cpu)");
                output.WriteLine("Exit codes: 0 done; 1 bad input or data; 2 a wrong command line; 130 interrupted (resume with train --resume)");
                output.WriteLine($"Each command's options: {ProgramName} <command> --help");
            }
            return code;
        }
    }

    /// <summary>NetGen's version, not only the entry program's, which is what a user's own program would otherwise print.</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            string program = ProgramName;
            parseResult.InvocationConfiguration.Output.WriteLine($"NetGen {Version}" +
                (program == "netgen" ? "" : $" in {program} {Assembly.GetEntryAssembly()?.GetName().Version}"));
            return 0;
        }
    }
}
