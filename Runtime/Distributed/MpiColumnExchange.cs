using System;
using System.Collections.Generic;
using System.Threading;
using ILGPU;
using NetGen.Cpu;

namespace NetGen.Distributed;

/// <summary>
/// The meeting points of a split network whose columns are the ranks of a job, column r on rank r
/// (the paper's two GPUs as two machines): a gather is an all-gather of the column's slice, and a
/// reduction an all-to-all of the parts, which each rank then adds in column order, as the
/// in-process <see cref="ColumnExchange"/> does, so both give the same bits for any number of
/// columns (a reduce-scatter would leave the order of the sum to the MPI library). The byte counts
/// are this rank's column's: what it sends the others.
/// </summary>
public sealed unsafe class MpiColumnExchange : IColumnExchange
{
    private readonly ICommunicator communicator;
    // Collectives lay their blocks out rank after rank, the columns' buffers image after image: these hold the rank-major copies.
    private float[] send = [], receive = [];
    private readonly ExchangeTraffic traffic = new();

    /// <summary>An exchange over <paramref name="communicator"/>'s ranks, one column each.</summary>
    /// <exception cref="ArgumentException">The job has one rank: there is no other column to meet.</exception>
    public MpiColumnExchange(ICommunicator communicator)
    {
        this.communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        if (communicator.Size < 2)
            throw new ArgumentException($"columns over MPI need a job of as many ranks as columns, at least 2; this one ({communicator.Transport}) has {communicator.Size}.", nameof(communicator));
        Devices = communicator.Size;
        LocalColumns = [communicator.Rank];
    }

    /// <summary>The job's ranks, one column each.</summary>
    public int Devices { get; }

    /// <summary>This rank's column: its rank.</summary>
    public IReadOnlyList<int> LocalColumns { get; }

    /// <inheritdoc/>
    public long ForwardBytes => traffic.ForwardBytes;

    /// <inheritdoc/>
    public long BackwardBytes => traffic.BackwardBytes;

    /// <inheritdoc/>
    public void ResetCounts() => traffic.Reset();

    /// <inheritdoc/>
    public void Gather(int column, ArrayView<float> own, ArrayView<float> all, long floatsPerImage, int batch)
    {
        CheckColumn(column);
        int slice = Slice(floatsPerImage, batch);
        var byRank = Scratch(ref receive, (long)slice * Devices);
        communicator.AllGather(new ReadOnlySpan<float>(Host.Pointer(own), slice), byRank);
        float* whole = Host.Pointer(all);
        for (int source = 0; source < Devices; source++)
            for (int n = 0; n < batch; n++)
                byRank.Slice(source * slice + n * (int)floatsPerImage, (int)floatsPerImage)
                    .CopyTo(new Span<float>(whole + (n * Devices + source) * floatsPerImage, (int)floatsPerImage));
        traffic.AddForward((Devices - 1) * (long)slice * sizeof(float));
    }

    /// <inheritdoc/>
    public void Reduce(int column, ArrayView<float> all, ArrayView<float> own, long floatsPerImage, int batch)
    {
        CheckColumn(column);
        int slice = Slice(floatsPerImage, batch);
        var toRanks = Scratch(ref send, (long)slice * Devices);
        float* parts = Host.Pointer(all);
        for (int target = 0; target < Devices; target++)
            for (int n = 0; n < batch; n++)
                new ReadOnlySpan<float>(parts + (n * Devices + target) * floatsPerImage, (int)floatsPerImage)
                    .CopyTo(toRanks.Slice(target * slice + n * (int)floatsPerImage, (int)floatsPerImage));
        var fromRanks = Scratch(ref receive, (long)slice * Devices);
        communicator.AllToAll(toRanks, fromRanks);
        float* sum = Host.Pointer(own);
        fixed (float* received = fromRanks)
            for (int n = 0; n < batch; n++)
                for (int source = 0; source < Devices; source++)
                    ColumnExchange.AddPart(sum + n * floatsPerImage, received + source * slice + n * floatsPerImage, floatsPerImage, source);
        traffic.AddBackward((Devices - 1) * (long)slice * sizeof(float));
    }

    /// <summary>Gathers every rank's rows of <paramref name="whole"/> and puts them in place, column after column.</summary>
    public void ShareRows(float[] whole, NetworkInfo network, PartitionInfo plan)
    {
        ArgumentNullException.ThrowIfNull(whole);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Devices != Devices)
            throw new ArgumentException($"{network.Name} splits over {plan.Devices} devices; this job has {Devices} ranks.", nameof(plan));
        int rows = checked((int)ColumnRows.PerColumn(plan));
        var mine = Scratch(ref send, rows);
        var every = Scratch(ref receive, (long)rows * Devices);
        fixed (float* start = whole)
        {
            fixed (float* column = mine)
                ColumnRows.Copy(network, plan, communicator.Rank, start, whole.LongLength, column, toColumn: true);
            communicator.AllGather(mine, every);
            fixed (float* columns = every)
                for (int c = 0; c < Devices; c++)
                    ColumnRows.Copy(network, plan, c, start, whole.LongLength, columns + (long)c * rows, toColumn: false);
        }
    }

    /// <summary>Ends the job (MPI_Abort): the other ranks wait in a collective that this rank's column will never reach.</summary>
    public void Abort(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        communicator.Abort(1, $"netgen: rank {communicator.Rank}: column {communicator.Rank} of {Devices} failed, which ends the job: {cause.Message}");
    }

    /// <summary>Nothing to do: an abort ends the job.</summary>
    public void Reset()
    {
    }

    private void CheckColumn(int column)
    {
        if (column != communicator.Rank)
            throw new ArgumentException($"rank {communicator.Rank} runs column {communicator.Rank}, not {column}.", nameof(column));
    }

    private int Slice(long floatsPerImage, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(floatsPerImage);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        return checked((int)(floatsPerImage * batch));
    }

    /// <summary>Room for <paramref name="length"/> floats, kept between calls.</summary>
    private static Span<float> Scratch(ref float[] buffer, long length)
    {
        if (length > Array.MaxLength)
            throw new ArgumentException($"{length:N0} floats do not fit one array: use smaller batches.", nameof(length));
        if (buffer.Length < length)
            buffer = new float[length];
        return buffer.AsSpan(0, (int)length);
    }
}
