using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using NetGen.Distributed;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen step &lt;network&gt; --weights W --input X --out O [--eval]</c>: one forward and
/// backward pass on the batch in X with no update. Writes the logits, the loss and every parameter's
/// gradient, named as PyTorch names them, so another framework can be compared on the same weights.
/// Started by <c>mpirun -np 2</c> with <c>--devices 2</c>, each rank runs one column of the network
/// (<see cref="MpiColumnExchange"/>) and rank 0 writes the file the in-process <c>--devices 2</c> step writes.
/// </summary>
internal static class StepCommand
{
    public static Command Create()
    {
        var network = Options.Network();
        var weights = Options.Path("--weights", "the weights to start from (netgen init, a run's checkpoint, or PyTorch's state_dict as safetensors)", "W.safetensors", required: true);
        var input = Options.Path("--input", "the batch: 'input' float32 NCHW and 'labels' int64 or int32", "X.safetensors", required: true);
        var output = Options.Path("--out", "where to write 'logits', 'loss', every '<parameter>.grad', and every tensor that is not trained as the step leaves it", "O.safetensors", required: true);
        var evaluation = Options.Flag("--eval", "evaluation mode, as PyTorch's model.eval(): running statistics, no dropout (also spelled --no-dropout)");
        evaluation.Aliases.Add("--no-dropout");
        var activations = Options.Flag("--activations", "also write every activation as 'activation.<name>' and its gradient as 'activation.<name>.grad'");
        var device = Options.Device();
        var devices = Options.Devices();
        var command = new Command("step", "One forward and backward pass with no update on the batch in X: writes the logits, the loss and every gradient, for comparing with PyTorch.")
        {
            network, weights, input, output, evaluation, activations, device, devices,
        };
        command.SetAction(parsed => Run(parsed.GetValue(network)!, parsed.GetValue(weights)!, parsed.GetValue(input)!, parsed.GetValue(output)!,
            !parsed.GetValue(evaluation), parsed.GetValue(activations), parsed.GetValue(device)!, parsed.GetValue(devices)));
        return Verbs.WithExamples(command, "step alexnet --weights w.safetensors --input x.safetensors --out grads.safetensors --eval");
    }

    // training: dropout, and batch statistics that update the running ones; else evaluation mode.
    private static int Run(string name, string weights, string input, string output, bool training, bool withActivations, string deviceKind, int devices)
    {
        if (devices > 1 && withActivations)
            throw new UsageException("--activations reads one device's buffers; with --devices each device holds only its slices");
        using var job = Communicator.FromEnvironment();
        if (job.Size == 1)
            return Step(name, weights, input, output, training, withActivations, deviceKind, devices, job: null);
        if (devices != job.Size)
            throw new UsageException(devices == 1
                ? $"under mpirun each rank runs one column of the network: give --devices {job.Size} (a network of {job.Size} columns), or start netgen step without mpirun"
                : $"this MPI job has {job.Size} ranks, and --devices {devices} runs one column on each of {devices}: start it with mpirun -np {devices}");
        try
        {
            return Step(name, weights, input, output, training, withActivations, deviceKind, devices, job);
        }
        catch (Exception e)
        {
            // A rank that stopped alone would leave the others waiting in a collective for ever.
            job.Abort(1, $"netgen: rank {job.Rank} of {job.Size}: {e.Message}");
            throw;
        }
    }

    /// <summary>The step; under MPI (<paramref name="job"/>) this rank runs its column, and rank 0 speaks and writes.</summary>
    private static int Step(string name, string weights, string input, string output, bool training, bool withActivations, string deviceKind, int devices, ICommunicator? job)
    {
        var say = job is null || job.Rank == 0 ? Console.Out : TextWriter.Null;
        using var device = Device.Open(deviceKind);
        say.WriteLine($"device: {device}");

        using var network = NamedNetworks.Get(name).Create(device, 0);
        using var trainer = job is not null ? new PartitionedTrainer(network, new MpiColumnExchange(job))
            : devices > 1 ? new PartitionedTrainer(network, devices)
            : new Trainer(network);
        if (trainer is PartitionedTrainer split)
        {
            if (job is null)
                say.WriteLine($"split over {devices} devices: {string.Join(", ", split.Devices)}");
            else
                Console.WriteLine($"rank {job.Rank} of {job.Size} on {Environment.MachineName}: column {job.Rank} of {network.Info.Name} on {split.Devices[0]} ({job.Transport})");
        }
        var checkpoint = trainer.Load(weights);
        var batch = BatchFile.Read(input, network.Info);
        var clock = Stopwatch.StartNew();
        var result = trainer.ComputeGradients(batch.Images, batch.Labels, training);
        double seconds = clock.Elapsed.TotalSeconds;

        long n = batch.Labels.Length;
        long[] Dims(Shape s) => s.IsVector ? [n, s.Channels] : [n, s.Channels, s.Height, s.Width]; // NCHW, or (N, units)
        var gradients = trainer.ReadGradients(); // under MPI a collective: every rank takes part
        if (job is not null && job.Rank != 0)
            return 0;
        var tensors = new List<SafeTensor>
        {
            SafeTensor.Float32("logits", trainer.ReadLogits(batch.Labels.Length), Dims(network.Info.Output)),
            SafeTensor.Float32("loss", [(float)result.Loss]),
        };
        // Trained tensors get their gradient; the others (running statistics) their value after the step.
        var after = network.ReadParameters();
        foreach (var p in network.Info.Parameters)
            tensors.Add(p.Trainable
                ? SafeTensor.Float32(p.Name + ".grad", gradients.AsSpan((int)p.Offset, (int)p.Count).ToArray(), p.Dimensions.Select(d => (long)d).ToArray())
                : Checkpoint.Tensor(p, after));
        if (withActivations)
        {
            // For finding where two frameworks part: every activation, and the gradient of each
            // before its group's epilogue (the pre-ReLU gradient, as a hook on a convolution sees it).
            var (forward, backward) = trainer.PassesFor(batch.Labels.Length);
            foreach (var a in forward.Activations.Skip(1))
                tensors.Add(SafeTensor.Float32("activation." + a, forward.Read(a), Dims(forward.ShapeOf(a))));
            foreach (var a in backward.Gradients)
                tensors.Add(SafeTensor.Float32("activation." + a + ".grad", backward.ReadGradient(a), Dims(forward.ShapeOf(a))));
        }
        SafeTensorsFile.Write(output, tensors, new Dictionary<string, string>
        {
            ["netgen.network"] = network.Info.Name,
            ["mode"] = training ? "training" : "evaluation",
            ["dropout"] = training ? $"on, seed {trainer.Seed}, step {trainer.Step}" : "off",
            ["top1"] = result.Top1.ToString(CultureInfo.InvariantCulture),
            ["top5"] = result.Top5.ToString(CultureInfo.InvariantCulture),
        });
        say.WriteLine($"{network.Info.Name}, {n} images, weights from {weights} (step {checkpoint.State.Step}), {(training ? "training mode" : "evaluation mode")}: " +
            $"loss {result.Loss.ToString("0.000000", CultureInfo.InvariantCulture)}, top-1 {result.Top1}/{n}, top-5 {result.Top5}/{n}");
        say.WriteLine($"forward and backward in {seconds:0.000} s ({3.0 * 2 * network.Info.MultiplyAdds * n / seconds / 1e9:0.00} GFLOP/s, counting backward as twice forward)");
        int trained = network.Info.Parameters.Count(p => p.Trainable);
        string rest = trained < network.Info.Parameters.Count ? $" and {network.Info.Parameters.Count - trained} tensors that are not trained" : "";
        say.WriteLine($"wrote logits, loss, {trained} gradients{rest} to {output}");
        return 0;
    }
}
