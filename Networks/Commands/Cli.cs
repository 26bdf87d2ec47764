using System;

namespace NetGen.Networks.Commands;

/// <summary>The netgen command line: dispatches to one command per verb.</summary>
internal static class Cli
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        try
        {
            var options = new Options(args[1..]);
            return args[0] switch
            {
                "shapes" => ShapesCommand.Run(options),
                "forward" => ForwardCommand.Run(options),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"netgen: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private const string Usage = """
        usage: netgen <command> <network> [options]

        commands:
          shapes <network>                      every layer's operations, output shape, parameters and multiply-adds
          forward <network> [--batch B] [--seed S] [--device D]
                                                initialise the network, run a forward pass on a random batch,
                                                and print the time and the top classes of the first image

        networks: alexnet, minialexnet (case-insensitive)
        devices:  auto (default), cuda, opencl, ilgpu-cpu
        """;
}

/// <summary>A mistake in the command line: printed with the usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
