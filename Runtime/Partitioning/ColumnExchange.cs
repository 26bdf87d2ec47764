using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ILGPU;

namespace NetGen;

/// <summary>
/// Where the devices of a split network meet in one process: each column runs on its own thread, and at every
/// point where the plan crosses devices they wait for one another here, publish the buffer
/// involved, copy, and wait again before any of them goes on to reuse it. Counts the bytes it
/// moves between different devices, so a test can hold the executor to the plan.
/// </summary>
public sealed unsafe class ColumnExchange : IColumnExchange
{
    private readonly ArrayView<float>[] published;
    private Barrier barrier;
    private CancellationTokenSource abort = new();
    private readonly ExchangeTraffic traffic = new();

    /// <summary>An exchange for <paramref name="devices"/> columns.</summary>
    public ColumnExchange(int devices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(devices, 2);
        Devices = devices;
        LocalColumns = Enumerable.Range(0, devices).ToArray();
        published = new ArrayView<float>[devices];
        barrier = new Barrier(devices);
    }

    /// <summary>How many columns meet here.</summary>
    public int Devices { get; }

    /// <summary>Every column: all of them run in this process.</summary>
    public IReadOnlyList<int> LocalColumns { get; }

    /// <summary>Bytes copied between different devices in forward passes since the last <see cref="ResetCounts"/>.</summary>
    public long ForwardBytes => traffic.ForwardBytes;

    /// <summary>Bytes copied between different devices in backward passes since the last <see cref="ResetCounts"/>.</summary>
    public long BackwardBytes => traffic.BackwardBytes;

    /// <summary>Sets both byte counts to zero.</summary>
    public void ResetCounts() => traffic.Reset();

    /// <summary>Makes every column that waits here, now or later, stop with <see cref="OperationCanceledException"/>: one column failed (the caller rethrows <paramref name="cause"/>).</summary>
    public void Abort(Exception cause) => abort.Cancel();

    /// <summary>Ready for a new step after an abort.</summary>
    public void Reset()
    {
        if (!abort.IsCancellationRequested)
            return;
        barrier.Dispose();
        barrier = new Barrier(Devices);
        abort.Dispose();
        abort = new CancellationTokenSource();
    }

    /// <summary>
    /// Forward: copies column <paramref name="column"/>'s slice <paramref name="own"/> into its place
    /// in every column's whole-width buffer <paramref name="all"/>, and returns when every column's
    /// slice is in place in this column's.
    /// </summary>
    public void Gather(int column, ArrayView<float> own, ArrayView<float> all, long floatsPerImage, int batch)
    {
        Publish(column, all);
        float* source = Cpu.Host.Pointer(own);
        for (int target = 0; target < Devices; target++)
        {
            float* destination = Cpu.Host.Pointer(published[target]) + column * floatsPerImage;
            for (int n = 0; n < batch; n++)
                Buffer.MemoryCopy(source + n * floatsPerImage, destination + n * floatsPerImage * Devices,
                    floatsPerImage * sizeof(float), floatsPerImage * sizeof(float));
            if (target != column)
                traffic.AddForward(batch * floatsPerImage * sizeof(float));
        }
        Wait();
    }

    /// <summary>
    /// Backward: every column has computed, in <paramref name="all"/>, its part of the gradient of a
    /// whole-width input; this column's slice of the gradient is the sum of every column's part
    /// of it, added in column order so that every device gets the same sum.
    /// </summary>
    public void Reduce(int column, ArrayView<float> all, ArrayView<float> own, long floatsPerImage, int batch)
    {
        Publish(column, all);
        float* sum = Cpu.Host.Pointer(own);
        for (int n = 0; n < batch; n++)
        {
            float* target = sum + n * floatsPerImage;
            for (int source = 0; source < Devices; source++)
            {
                float* part = Cpu.Host.Pointer(published[source]) + (n * Devices + column) * floatsPerImage;
                AddPart(target, part, floatsPerImage, source);
            }
        }
        traffic.AddBackward((Devices - 1) * batch * floatsPerImage * sizeof(float));
        Wait();
    }

    /// <summary>
    /// Adds column <paramref name="source"/>'s part into <paramref name="sum"/> (the first part is
    /// copied): every exchange sums through here, in column order, so that they give the same bits.
    /// </summary>
    internal static void AddPart(float* sum, float* part, long count, int source)
    {
        if (source == 0)
            new ReadOnlySpan<float>(part, checked((int)count)).CopyTo(new Span<float>(sum, (int)count));
        else
            for (long i = 0; i < count; i++)
                sum[i] += part[i];
    }

    /// <summary>Nothing to add: every column runs in this process, so its readers have put in every row.</summary>
    public void ShareRows(float[] whole, NetworkInfo network, PartitionInfo plan)
    {
    }

    /// <summary>Publishes this column's buffer and waits until every column has published its own.</summary>
    private void Publish(int column, ArrayView<float> buffer)
    {
        published[column] = buffer;
        Wait();
    }

    private void Wait() => barrier.SignalAndWait(abort.Token);
}
