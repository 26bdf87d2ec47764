using System;

namespace NetGen.Distributed;

/// <summary>A job of one process: every collective leaves the values as they are, at no cost.</summary>
public sealed class SingleProcess : ICommunicator
{
    /// <summary>The one process.</summary>
    public static SingleProcess Instance { get; } = new();

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public string Transport => "one process";

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) { }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) { }

    /// <inheritdoc/>
    public void AllReduceSum(Span<long> values) { }

    /// <inheritdoc/>
    public IReduction StartAllReduceSum(Memory<float> values) => Done.Instance;

    /// <inheritdoc/>
    public void Broadcast(Span<float> values, int root = 0) => CheckRoot(root);

    /// <inheritdoc/>
    public void Broadcast(Span<byte> bytes, int root = 0) => CheckRoot(root);

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<float> send, Span<float> receive) => CopyWhole(send, receive);

    /// <inheritdoc/>
    public void AllToAll(ReadOnlySpan<float> send, Span<float> receive) => CopyWhole(send, receive);

    /// <inheritdoc/>
    public void Barrier() { }

    /// <inheritdoc/>
    public ICommunicator Split(int color, int key) => this;

    /// <inheritdoc/>
    public void Abort(int code, string message)
    {
        Console.Error.WriteLine(message);
        Environment.Exit(code);
    }

    /// <summary>Nothing to free.</summary>
    public void Dispose() { }

    /// <summary>One process's block is the whole of what it receives.</summary>
    private static void CopyWhole(ReadOnlySpan<float> send, Span<float> receive)
    {
        if (receive.Length != send.Length)
            throw new ArgumentException($"a job of one process receives as many values as it sends ({send.Length}), not {receive.Length}", nameof(receive));
        send.CopyTo(receive);
    }

    private static void CheckRoot(int root)
    {
        if (root != 0)
            throw new ArgumentOutOfRangeException(nameof(root), root, "a job of one process has only rank 0");
    }

    private sealed class Done : IReduction
    {
        public static Done Instance { get; } = new();

        public bool Test() => true;

        public void Wait() { }

        public void Dispose() { }
    }
}
