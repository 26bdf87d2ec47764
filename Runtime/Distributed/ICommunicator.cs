using System;

namespace NetGen.Distributed;

/// <summary>
/// The processes of one training job and the collectives they meet in: MPI's model, behind an
/// interface so a single process (<see cref="SingleProcess"/>) costs nothing and MPI
/// (<see cref="MpiCommunicator"/>) is one implementation of it. Every collective must be called by
/// every process of the communicator, in the same order.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index, 0 to <see cref="Size"/> - 1.</summary>
    int Rank { get; }

    /// <summary>How many processes take part.</summary>
    int Size { get; }

    /// <summary>What carries the messages: "one process", or the MPI library's name and version.</summary>
    string Transport { get; }

    /// <summary>Replaces <paramref name="values"/> on every process by their sum over all processes.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every process by their sum over all processes.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Replaces <paramref name="values"/> on every process by their sum over all processes.</summary>
    void AllReduceSum(Span<long> values);

    /// <summary>
    /// Starts summing <paramref name="values"/> over all processes in place and returns at once; the
    /// memory must stay pinned and untouched until the request completes (<see cref="IReduction"/>).
    /// </summary>
    IReduction StartAllReduceSum(Memory<float> values);

    /// <summary>Copies <paramref name="root"/>'s <paramref name="values"/> to every process.</summary>
    void Broadcast(Span<float> values, int root = 0);

    /// <summary>Copies <paramref name="root"/>'s <paramref name="bytes"/> to every process.</summary>
    void Broadcast(Span<byte> bytes, int root = 0);

    /// <summary>
    /// Puts every process's <paramref name="send"/> (as long on every one) into <paramref name="receive"/>
    /// on every process, rank after rank: <paramref name="receive"/> is <see cref="Size"/> times as long (MPI_Allgather).
    /// </summary>
    void AllGather(ReadOnlySpan<float> send, Span<float> receive);

    /// <summary>
    /// Sends block r of <paramref name="send"/>, one of <see cref="Size"/> equal blocks, to rank r,
    /// which puts it in block (this rank) of its <paramref name="receive"/>, as long (MPI_Alltoall).
    /// </summary>
    void AllToAll(ReadOnlySpan<float> send, Span<float> receive);

    /// <summary>Returns when every process has called it.</summary>
    void Barrier();

    /// <summary>
    /// Splits the processes into groups by <paramref name="color"/>, ranked within each group by
    /// <paramref name="key"/> (then by rank here), as MPI_Comm_split: every process calls it.
    /// </summary>
    ICommunicator Split(int color, int key);

    /// <summary>Ends every process of the job with <paramref name="code"/> (MPI_Abort), after <paramref name="message"/> on standard error.</summary>
    void Abort(int code, string message);
}

/// <summary>A collective under way (<see cref="ICommunicator.StartAllReduceSum"/>).</summary>
public interface IReduction : IDisposable
{
    /// <summary>Whether it has completed (MPI_Test): the values hold the sum.</summary>
    bool Test();

    /// <summary>Waits for it to complete (MPI_Wait).</summary>
    void Wait();
}
