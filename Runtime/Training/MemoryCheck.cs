using System;
using System.IO;
using System.Linq;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// What training a network at a batch size will allocate beyond its parameters, set against what
/// the device has, so that a batch too large fails before training with both numbers instead of
/// in an allocation halfway through (or, on the host, by the kernel's out-of-memory killer).
/// </summary>
public static class MemoryCheck
{
    /// <summary>
    /// Bytes a <see cref="Trainer"/> allocates for <paramref name="info"/> at <paramref name="batchSize"/>:
    /// gradients and the <paramref name="optimizer"/>'s moments (one float per parameter each: SGD has
    /// one, Adam two), and every operation's output and its gradient for the batch (an upper bound:
    /// fused operations share some of these).
    /// </summary>
    public static (long Optimiser, long Activations) Needed(NetworkInfo info, int batchSize, Optimizer optimizer = Optimizer.Sgd)
    {
        ArgumentNullException.ThrowIfNull(info);
        long perImage = info.Input.Size + info.Layers.Sum(l => l.Operations.Sum(o => (long)o.Output.Size));
        return ((1 + ParameterUpdate.StateBuffers(optimizer)) * info.ParameterCount * sizeof(float), 2 * perImage * batchSize * sizeof(float));
    }

    /// <summary>
    /// Bytes the device can still give: the host's available memory for a CPU device (Linux's
    /// MemAvailable, else the runtime's view of physical memory), the accelerator's memory otherwise.
    /// </summary>
    public static long Available(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.AcceleratorType != AcceleratorType.CPU)
            return accelerator.MemorySize;
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kib))
                return kib * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc here: fall back to the runtime's view.
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>Throws when training <paramref name="network"/> at <paramref name="batchSize"/> needs more than its device has.</summary>
    /// <exception cref="InsufficientMemoryException">The message gives the bytes needed, by kind, and the bytes available.</exception>
    public static void EnsureFits(Network network, int batchSize, Optimizer optimizer = Optimizer.Sgd)
    {
        ArgumentNullException.ThrowIfNull(network);
        var (optimiser, activations) = Needed(network.Info, batchSize, optimizer);
        long needed = optimiser + activations, available = Available(network.Accelerator);
        if (needed <= available)
            return;
        long perImage = activations / Math.Max(1, batchSize);
        long fits = Math.Max(0, (available - optimiser) / Math.Max(1, perImage));
        throw new InsufficientMemoryException(
            $"{network.Info.Name} at batch {batchSize:N0} needs {needed:N0} bytes on {network.Accelerator.Name} " +
            $"({optimiser:N0} for gradients and {(optimizer == Optimizer.Sgd ? "momentum" : "Adam's moments")}, {activations:N0} for activations and their gradients), " +
            $"and it has {available:N0} bytes available. " +
            (fits > 0 ? $"A batch of at most {fits:N0} fits." : "Not even one image fits beside the gradients and momentum."));
    }
}
