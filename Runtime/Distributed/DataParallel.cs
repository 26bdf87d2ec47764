using System;
using System.Linq;
using ILGPU.Runtime;
using NetGen.Data;

namespace NetGen.Distributed;

/// <summary>
/// What the processes of a data-parallel job share besides the gradients (<see cref="GradientBuckets"/>):
/// the starting weights and optimiser state (rank 0's), each process's share of a batch and of the
/// validation set, and the sums of what each measured.
/// </summary>
public sealed class DataParallel(ICommunicator communicator)
{
    /// <summary>The job's processes.</summary>
    public ICommunicator Communicator { get; } = communicator ?? throw new ArgumentNullException(nameof(communicator));

    /// <summary>Whether this process writes files and prints progress: rank 0.</summary>
    public bool IsRoot => Communicator.Rank == 0;

    /// <summary>The images each process takes of a batch of <paramref name="batchSize"/>: the whole batch cut into equal shares.</summary>
    /// <exception cref="ArgumentException">The batch does not cut into equal shares.</exception>
    public int Share(int batchSize)
    {
        if (batchSize % Communicator.Size != 0)
            throw new ArgumentException($"--batch {batchSize} is the whole batch of a step, cut over {Communicator.Size} processes; " +
                $"it must be a multiple of {Communicator.Size} (say --batch {(batchSize + Communicator.Size - 1) / Communicator.Size * Communicator.Size}).");
        return batchSize / Communicator.Size;
    }

    /// <summary>Where this process's share starts in a whole batch (its dropout masks are the whole batch's for those images).</summary>
    public int FirstImage(int batchSize) => Communicator.Rank * Share(batchSize);

    /// <summary>Gives every process rank 0's parameters and optimiser state, and its step count and seed.</summary>
    public void BroadcastState(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        if (Communicator.Size == 1)
            return;
        var parameters = trainer.Network.ReadParameters();
        Communicator.Broadcast(parameters);
        trainer.Network.WriteParameters(parameters);
        var state = trainer.ReadOptimiserState();
        Communicator.Broadcast(state.First);
        if (state.Second is not null)
            Communicator.Broadcast(state.Second);
        long[] counts = [trainer.Step, state.Steps, (long)trainer.Seed];
        Communicator.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(counts.AsSpan()));
        trainer.WriteOptimiserState(state with { Steps = counts[1] });
        trainer.Step = counts[0];
        trainer.Seed = (ulong)counts[2];
    }

    /// <summary>
    /// Copies rank 0's tensors that are not trained (batch normalisation's running statistics) to
    /// every process after a step, as DistributedDataParallel broadcasts its buffers: each process
    /// normalises by its own share's statistics, and the replicas stay identical.
    /// </summary>
    public void BroadcastRunningStatistics(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (Communicator.Size == 1 || network.Info.Parameters.All(p => p.Trainable))
            return;
        // One broadcast a step for every statistic together: the tensors packed in table order.
        var statistics = network.Info.Parameters.Where(p => !p.Trainable).ToArray();
        var values = new float[statistics.Sum(p => p.Count)];
        ILGPU.ArrayView<float> all = network.Parameters.View;
        long at = 0;
        foreach (var p in statistics)
        {
            all.SubView(p.Offset, p.Count).CopyToCPU(values.AsSpan((int)at, (int)p.Count));
            at += p.Count;
        }
        Communicator.Broadcast(values);
        at = 0;
        foreach (var p in statistics)
        {
            all.SubView(p.Offset, p.Count).CopyFromCPU(values.AsSpan((int)at, (int)p.Count));
            at += p.Count;
        }
    }

    /// <summary>
    /// Checks that every process holds the same weights, bit for bit (they take the same updates from
    /// the same start): rank 0's hash of its parameters against each one's. Returns the hash.
    /// </summary>
    /// <exception cref="InvalidOperationException">A process's weights differ from rank 0's.</exception>
    public ulong CheckReplicas(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var parameters = network.ReadParameters();
        ulong hash = System.IO.Hashing.XxHash64.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters.AsSpan()));
        if (Communicator.Size == 1)
            return hash;
        var bytes = BitConverter.GetBytes(hash);
        Communicator.Broadcast(bytes);
        ulong root = BitConverter.ToUInt64(bytes);
        long[] differing = [root == hash ? 0 : 1];
        Communicator.AllReduceSum(differing);
        if (differing[0] > 0)
            throw new InvalidOperationException($"The replicas' weights differ: {differing[0]} of {Communicator.Size} processes hold other weights than rank 0's " +
                $"(rank {Communicator.Rank}: {(root == hash ? "the same" : "different")}); every process must take the same updates from the same start.");
        return hash;
    }

    /// <summary>Every process's totals, summed (the steps are each process's: the same on all).</summary>
    public StepTotals Sum(StepTotals mine)
    {
        if (Communicator.Size == 1)
            return mine;
        double[] sums = [mine.Images, mine.LossSum, mine.Top1, mine.Top5];
        Communicator.AllReduceSum(sums);
        return new StepTotals(mine.Steps, (long)sums[0], sums[1], (long)sums[2], (long)sums[3]);
    }

    /// <summary>Whether any process has <paramref name="mine"/> true (a stop asked for on one machine stops every one at the same step).</summary>
    public bool Any(bool mine)
    {
        if (Communicator.Size == 1)
            return mine;
        long[] count = [mine ? 1 : 0];
        Communicator.AllReduceSum(count);
        return count[0] > 0;
    }

    /// <summary>
    /// Evaluates this process's share of <paramref name="validation"/> (a contiguous range, the
    /// remainder spread over the first processes) and returns the whole set's result, summed over the processes.
    /// </summary>
    public EvaluationResult Evaluate(ForwardPass pass, Dataset validation, Augmenter augmenter, bool tenCrop, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (Communicator.Size == 1)
            return Evaluator.Evaluate(pass, validation, augmenter, tenCrop, progress);
        int count = validation.Count, size = Communicator.Size, rank = Communicator.Rank;
        int start = (int)((long)count * rank / size), end = (int)((long)count * (rank + 1) / size);
        var share = new DatasetSubset(validation, Enumerable.Range(start, end - start).ToArray(), $"{validation.Source} (rank {rank}'s share)");
        // Each process has done about as much as this one: the whole set's progress, as rank 0 shows it.
        var mine = share.Count == 0 ? new EvaluationResult(0, 0, 0, 0)
            : Evaluator.Evaluate(pass, share, augmenter, tenCrop, progress is null ? null : done => progress(Math.Min(count, done * size)));
        double[] sums = [mine.Images, mine.Loss * mine.Images, Math.Round(mine.Top1Accuracy * mine.Images), Math.Round(mine.Top5Accuracy * mine.Images)];
        Communicator.AllReduceSum(sums);
        return new EvaluationResult((int)sums[0], sums[1] / sums[0], sums[2] / sums[0], sums[3] / sums[0]);
    }
}
