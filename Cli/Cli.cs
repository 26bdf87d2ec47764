using System;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.IO;
using System.Linq;
using NetGen.CommandLine;

namespace NetGen;

/// <summary>
/// The netgen command line as a library: a program that declares networks gets every verb
/// (<c>shapes</c>, <c>plan</c>, <c>init</c>, <c>forward</c>, <c>step</c>, <c>bench</c>, <c>train</c>,
/// <c>eval</c>, <c>classify</c>, <c>filters</c>, <c>similar</c>, <c>completion</c>) for them with a one-line
/// <c>Program.cs</c>: <c>return NetGen.Cli.Run(args);</c>. The networks are those in
/// <see cref="NetworkCatalog"/>: every [Network] class of the program, registered by the generator.
/// </summary>
public static class Cli
{
    /// <summary>Exit code of a run that did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Exit code of bad input or data: a missing or corrupt file, data that does not fit the network, a device that is not there, a loss gone NaN.</summary>
    public const int BadInput = 1;

    /// <summary>Exit code of a wrong command line: an unknown verb or option, a value of the wrong kind, a missing argument.</summary>
    public const int WrongCommandLine = 2;

    /// <summary>Exit code of a run stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>Runs the command in <paramref name="args"/> and returns the process's exit code: 0, 1 for bad input or data, 2 for a wrong command line, 130 for an interrupted run.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = Verbs.Root();
        var configuration = new InvocationConfiguration
        {
            Output = Console.Out,
            Error = Console.Error,
            EnableDefaultExceptionHandler = false, // exceptions come here, to be mapped to exit codes
            ProcessTerminationTimeout = null,      // train handles Ctrl+C itself, finishing the step under way
        };
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke(configuration);
            return BadInput;
        }
        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction) // not for --help, which answers even when the rest of the line is incomplete
            return Fail(Suggestions.Explain(parsed), parsed.CommandResult.Command);
        try
        {
            return parsed.Invoke(configuration);
        }
        catch (UsageException e)
        {
            return Fail(e.Message, parsed.CommandResult.Command);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException
            or NumericalFaultException or NoDeviceException)
        {
            // A file that is missing, corrupt or does not fit the network, a device the machine lacks, or a
            // run whose loss went NaN: the message names the file, the device or the step and layer, and what to do.
            Console.Error.WriteLine($"netgen: {e.Message}");
            return BadInput;
        }
    }

    /// <summary>One line for the mistake and one pointing at the verb's help, instead of the whole usage.</summary>
    private static int Fail(string message, Command command)
    {
        Console.Error.WriteLine($"netgen: {message}");
        string verb = command is RootCommand ? "" : command.Name + " ";
        Console.Error.WriteLine($"see '{Verbs.ProgramName} {verb}--help'");
        return WrongCommandLine;
    }
}
