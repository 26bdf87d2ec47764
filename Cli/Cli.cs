using System;
using NetGen.CommandLine;

namespace NetGen;

/// <summary>
/// The netgen command line as a library: a program that declares networks gets every verb
/// (<c>shapes</c>, <c>plan</c>, <c>init</c>, <c>forward</c>, <c>step</c>, <c>bench</c>, <c>train</c>,
/// <c>eval</c>, <c>classify</c>, <c>filters</c>, <c>similar</c>) for them with a one-line
/// <c>Program.cs</c>: <c>return NetGen.Cli.Run(args);</c>. The networks are those in
/// <see cref="NetworkCatalog"/>: every [Network] class of the program, registered by the generator.
/// </summary>
public static class Cli
{
    /// <summary>Runs the command in <paramref name="args"/> and returns the process's exit code: 0, 1 for bad input or data, 2 for a wrong command line, 130 for an interrupted run.</summary>
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
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
                "plan" => PlanCommand.Run(options),
                "forward" => ForwardCommand.Run(options),
                "init" => InitCommand.Run(options),
                "step" => StepCommand.Run(options),
                "bench" => BenchCommand.Run(options),
                "train" => TrainCommand.Run(options),
                "eval" => EvalCommand.Run(options),
                "classify" => ClassifyCommand.Run(options),
                "filters" => FiltersCommand.Run(options),
                "similar" => SimilarCommand.Run(options),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"netgen: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is System.IO.IOException or System.IO.InvalidDataException or UnauthorizedAccessException or ArgumentException
            or NumericalFaultException)
        {
            // A file that is missing, corrupt or does not fit the network, or a run whose loss went
            // NaN: the message names the file or the step and layer, and what to do.
            Console.Error.WriteLine($"netgen: {e.Message}");
            return 1;
        }
    }

    private static string Usage => UsageText.Replace("{networks}", NetworkCatalog.Names.Length > 0 ? NetworkCatalog.Names : "none declared in this program");

    private const string UsageText = """
        usage: netgen <command> <network> [options]

        commands:
          shapes <network>                      every layer's operations, output shape, parameters and multiply-adds
          plan <network> [--json] [--data-parallel] [--batch 128]
                                                the split over one device per column: each layer's share,
                                                every transfer and its bytes per image, each device's memory
                                                and arithmetic; --data-parallel adds Krizhevsky's 2014 scheme
          forward <network> [--batch B] [--seed S] [--device D]
                                                initialise the network, run a forward pass on a random batch,
                                                and print the time and the top classes of the first image
          init <network> --seed S --out W.safetensors [--device D]
                                                write the initial weights (PyTorch's names and layouts)
          step <network> --weights W.safetensors --input X.safetensors --out O.safetensors [--no-dropout] [--activations] [--device D] [--devices 2]
                                                one forward and backward pass, no update, on the batch in X
                                                ('input' float32 NCHW, 'labels' int64 or int32); writes
                                                'logits', 'loss' and every '<parameter>.grad' to O; with
                                                --activations also 'activation.<name>' and its '.grad'

          train [network] [--data PATH] [--epochs N] [--batch B] [--lr R] [--patience P] [--threshold T] [--seed S] [--device D]
                [--out DIR] [--resume] [--save-every STEPS] [--ten-crop] [--devices 2]
                                                train with a progress bar; every epoch: training loss, validation
                                                top-1/top-5 error, DIR/last.safetensors, DIR/best.safetensors,
                                                DIR/metrics.csv, DIR/curves.png. Defaults: minialexnet on
                                                Fashion-MNIST (/usr/share/datasets/fashion-mnist, else the
                                                shipped sample), the network's declared training defaults
          eval <network> --weights W --data PATH [--ten-crop] [--json] [--batch B]
                                                top-1 and top-5 accuracy over the validation (test) split
          classify <network> --weights W IMAGE... [--data PATH]
                                                each image's top-5 classes (ten crops averaged); IMAGE is a
                                                file, or train:N / val:N for an image of --data
          filters <network> --weights W --out conv1.png
                                                the first layer's kernels as an image, one block per column
          similar <network> --weights W --data PATH IMAGE [--k 8] [--out similar.png]
                                                the k training images nearest to IMAGE in the last hidden layer

          bench <network> [--batch 16] [--device D] [--warmup 3] [--iterations 5] [--json] [--devices 2]
                                                time the forward pass and the training step (median of the
                                                timed runs) in images/s and GFLOP/s; on the CPU backend also
                                                every group's time and the 1536^3 matrix product's rate

        --devices 2 splits a network with two columns over two CPU devices, as its partition plan says

        networks: {networks} (case-insensitive)
        devices:  auto (default: a GPU, else cpu), cpu (the CPU backend), cuda, opencl,
                  ilgpu-cpu (ILGPU's CPU accelerator running the kernels: slow, for checking)
        """;
}


