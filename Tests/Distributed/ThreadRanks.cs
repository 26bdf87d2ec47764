using System;
using System.Linq;
using System.Numerics;
using System.Threading;
using NetGen.Distributed;

namespace NetGen.Tests.Distributed;

/// <summary>
/// The ranks of a job as threads of one process, meeting in shared memory: code written for MPI
/// runs where a test can reach every rank's objects, and where Open MPI is not installed. Each
/// collective publishes this rank's values, waits for every rank, reads, and waits again before any
/// rank reuses its slot; sums are added in rank order.
/// </summary>
internal sealed class ThreadRanks : ICommunicator
{
    private readonly Meeting meeting;

    private ThreadRanks(Meeting meeting, int rank)
    {
        this.meeting = meeting;
        Rank = rank;
    }

    /// <summary>A job of <paramref name="size"/> ranks: give each to a thread of its own.</summary>
    public static ThreadRanks[] Start(int size)
    {
        var meeting = new Meeting(size);
        return Enumerable.Range(0, size).Select(r => new ThreadRanks(meeting, r)).ToArray();
    }

    /// <summary>
    /// Runs <paramref name="body"/>(r) on a thread of its own for each rank and waits for them all, for
    /// at most five minutes (a rank left waiting is a failure, not a hung test); rethrows the first
    /// failure that is not a rank stopped by another's abort.
    /// </summary>
    public static void Run(int size, Action<int> body)
    {
        var errors = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
        {
            try
            {
                body(r);
            }
            catch (Exception e)
            {
                errors[r] = e;
            }
        }) { Name = $"rank {r}", IsBackground = true }).ToArray();
        foreach (var t in threads)
            t.Start();
        var limit = DateTime.UtcNow.AddMinutes(5);
        foreach (var t in threads)
            if (!t.Join(TimeSpan.FromTicks(Math.Max(0, (limit - DateTime.UtcNow).Ticks))))
                throw new TimeoutException($"{t.Name} of {size} was still running after five minutes: a rank waits for one that will never come.");
        var first = errors.FirstOrDefault(e => e is not null and not OperationCanceledException) ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size => meeting.Slots.Length;

    /// <inheritdoc/>
    public string Transport => "threads of one process";

    /// <summary>What the rank that aborted the job said, or null.</summary>
    public string? AbortMessage => meeting.AbortMessage;

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values) => Sum(values);

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values) => Sum(values);

    /// <inheritdoc/>
    public void AllReduceSum(Span<long> values) => Sum(values);

    /// <summary>Sums at once: a thread has nothing to overlap the sum with.</summary>
    public IReduction StartAllReduceSum(Memory<float> values)
    {
        Sum(values.Span);
        return new Completed();
    }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values, int root = 0) => Copy(values, root);

    /// <inheritdoc/>
    public void Broadcast(Span<byte> bytes, int root = 0) => Copy(bytes, root);

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<float> send, Span<float> receive)
    {
        if (receive.Length != send.Length * Size)
            throw new ArgumentException($"{Size} ranks of {send.Length} values fill {send.Length * Size}, not {receive.Length}", nameof(receive));
        var all = Publish(send.ToArray());
        for (int r = 0; r < Size; r++)
            ((float[])all[r]!).CopyTo(receive.Slice(r * send.Length, send.Length));
    }

    /// <inheritdoc/>
    public void AllToAll(ReadOnlySpan<float> send, Span<float> receive)
    {
        if (send.Length != receive.Length || send.Length % Size != 0)
            throw new ArgumentException($"{Size} equal blocks to send and receive; got {send.Length} and {receive.Length}", nameof(receive));
        int block = send.Length / Size;
        var all = Publish(send.ToArray());
        for (int r = 0; r < Size; r++)
            ((float[])all[r]!).AsSpan(Rank * block, block).CopyTo(receive.Slice(r * block, block));
    }

    /// <inheritdoc/>
    public void Barrier() => Publish(null);

    /// <inheritdoc/>
    public ICommunicator Split(int color, int key)
    {
        var all = Publish((color, key));
        var members = Enumerable.Range(0, Size).Where(r => (((int, int))all[r]!).Item1 == color)
            .OrderBy(r => (((int, int))all[r]!).Item2).ThenBy(r => r).ToArray();
        // The group's first member makes its meeting and hands it to the others.
        var meetings = Publish(members[0] == Rank ? new Meeting(members.Length) : null);
        return new ThreadRanks((Meeting)meetings[members[0]]!, Array.IndexOf(members, Rank));
    }

    /// <summary>Stops every rank that waits in a collective, now or later, with <see cref="OperationCanceledException"/>; the caller goes on to throw its own error.</summary>
    public void Abort(int code, string message)
    {
        meeting.AbortMessage ??= $"{message} (code {code})";
        meeting.Stop.Cancel();
    }

    /// <summary>Nothing to free.</summary>
    public void Dispose()
    {
    }

    private void Sum<T>(Span<T> values) where T : INumber<T>
    {
        var all = Publish(values.ToArray());
        for (int i = 0; i < values.Length; i++)
        {
            T sum = ((T[])all[0]!)[i];
            for (int r = 1; r < Size; r++)
                sum += ((T[])all[r]!)[i];
            values[i] = sum;
        }
    }

    private void Copy<T>(Span<T> values, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        var all = Publish(Rank == root ? values.ToArray() : null);
        ((T[])all[root]!).CopyTo(values);
    }

    /// <summary>Every rank's value, once every rank has published its own.</summary>
    private object?[] Publish(object? mine)
    {
        meeting.Slots[Rank] = mine;
        meeting.Barrier.SignalAndWait(meeting.Stop.Token);
        var all = (object?[])meeting.Slots.Clone();
        meeting.Barrier.SignalAndWait(meeting.Stop.Token);
        return all;
    }

    private sealed class Meeting(int size)
    {
        public object?[] Slots { get; } = new object?[size];

        public Barrier Barrier { get; } = new(size);

        public CancellationTokenSource Stop { get; } = new();

        public string? AbortMessage { get; set; }
    }

    private sealed class Completed : IReduction
    {
        public bool Test() => true;

        public void Wait()
        {
        }

        public void Dispose()
        {
        }
    }
}
