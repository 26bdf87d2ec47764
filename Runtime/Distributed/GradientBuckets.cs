using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Distributed;

/// <summary>
/// Sums a step's parameter gradients over the processes of a data-parallel job, in buckets of
/// about <see cref="BucketBytes"/> taken from the last layer back, each started (a non-blocking
/// all-reduce) as soon as the backward pass has produced every gradient in it, as PyTorch's
/// DistributedDataParallel and Horovod do: the sums of the last layers travel while the first
/// layers' gradients are still being computed. <see cref="Finish"/> waits for the rest and divides
/// by the number of processes, so each process holds the gradient of the whole batch's mean loss.
/// </summary>
public sealed unsafe class GradientBuckets : IDisposable
{
    /// <summary>The default size of a bucket: PyTorch's DDP uses 25 MB; smaller buckets start sooner on networks of a few MB.</summary>
    public const long DefaultBucketBytes = 4L << 20;

    private readonly ICommunicator communicator;
    private readonly List<Bucket> buckets = [];
    private readonly List<IReduction> pending = [];
    private float* gradients;
    private MemoryHandle pin;
    private int next; // the next bucket to start, from the last layer back

    /// <summary>Buckets for <paramref name="info"/>'s parameter buffer, summed over <paramref name="communicator"/>.</summary>
    public GradientBuckets(ICommunicator communicator, NetworkInfo info, long bucketBytes = DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(info);
        this.communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        if (bucketBytes < sizeof(float))
            throw new ArgumentOutOfRangeException(nameof(bucketBytes), bucketBytes, "a bucket holds at least one gradient");
        BucketBytes = bucketBytes;
        // Whole tensors from the last back, a bucket closed once it reaches the size. Running
        // statistics are not trained: a bucket stops before one and the next starts after it.
        var parameters = info.Parameters;
        long end = -1, start = -1;
        int first = -1;
        for (int t = parameters.Count - 1; t >= 0; t--)
        {
            var p = parameters[t];
            if (!p.Trainable || (end >= 0 && start != p.Offset + p.Count))
            {
                Close();
                if (!p.Trainable)
                    continue;
            }
            if (end < 0)
                end = p.Offset + p.Count;
            start = p.Offset;
            first = t;
            if ((end - start) * sizeof(float) >= bucketBytes)
                Close();
        }
        Close();

        void Close()
        {
            if (end >= 0)
                buckets.Add(new Bucket(first, start, checked((int)(end - start))));
            end = start = -1;
        }
    }

    /// <summary>The size a bucket is closed at.</summary>
    public long BucketBytes { get; }

    /// <summary>How many buckets a step sends.</summary>
    public int Count => buckets.Count;

    /// <summary>The gradients a step sums over the processes: every trained parameter's, in bytes.</summary>
    public long BytesPerStep => buckets.Sum(b => (long)b.Count * sizeof(float));

    /// <summary>
    /// Starts a step whose gradients the backward pass writes to <paramref name="parameterGradients"/>
    /// (laid out as <see cref="Network.Parameters"/>; pinned until <see cref="Finish"/>).
    /// </summary>
    public void Begin(Memory<float> parameterGradients)
    {
        if (pending.Count > 0)
            throw new InvalidOperationException("The last step's sums are still under way: call Finish first.");
        pin.Dispose();
        pin = parameterGradients.Pin();
        gradients = (float*)pin.Pointer;
        next = 0;
    }

    /// <summary>Starts a step whose gradients are in <paramref name="parameterGradients"/>, a buffer of the CPU backend's (host memory).</summary>
    public void Begin(ILGPU.ArrayView<float> parameterGradients) =>
        Begin(new PointerMemory(Cpu.Host.Pointer(parameterGradients), checked((int)parameterGradients.Length)).Memory);

    /// <summary>
    /// The backward pass has finished tensor <paramref name="firstTensor"/>'s gradient and every
    /// later one's (<see cref="BackwardPass.TensorGradientsDone"/>): starts every bucket that holds no earlier tensor.
    /// </summary>
    public void DoneFrom(int firstTensor)
    {
        while (next < buckets.Count && buckets[next].FirstTensor >= firstTensor)
            Start(buckets[next++]);
    }

    /// <summary>Starts what is left, waits for every sum, and divides by the number of processes.</summary>
    public void Finish()
    {
        while (next < buckets.Count)
            Start(buckets[next++]);
        foreach (var reduction in pending)
            reduction.Wait();
        foreach (var reduction in pending)
            reduction.Dispose();
        pending.Clear();
        if (communicator.Size > 1)
        {
            float scale = 1f / communicator.Size;
            foreach (var b in buckets)
                GradientGuard.ScaleOnHost(gradients + b.Offset, b.Count, scale);
        }
        pin.Dispose();
        pin = default;
        gradients = null;
    }

    private void Start(Bucket b)
    {
        if (communicator.Size == 1)
            return;
        pending.Add(communicator.StartAllReduceSum(new PointerMemory(gradients + b.Offset, b.Count).Memory));
    }

    /// <summary>Waits for any sum under way.</summary>
    public void Dispose()
    {
        foreach (var reduction in pending)
            reduction.Dispose();
        pending.Clear();
        pin.Dispose();
    }

    /// <summary>A bucket: the gradients from tensor <paramref name="FirstTensor"/> on, <paramref name="Count"/> floats from <paramref name="Offset"/>.</summary>
    private readonly record struct Bucket(int FirstTensor, long Offset, int Count);

    /// <summary>Host memory the backward pass wrote (an ILGPU CPU buffer), as a <see cref="Memory{T}"/> for the all-reduce; it stays where it is.</summary>
    private sealed class PointerMemory(float* pointer, int length) : MemoryManager<float>
    {
        public override Span<float> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
