using System;
using System.Runtime.InteropServices;
using System.Text;

namespace NetGen.Distributed;

/// <summary>
/// An <see cref="ICommunicator"/> over Open MPI's <c>libmpi.so.40</c>, called through
/// <c>LibraryImport</c>: MPI.NET, the one MPI package on NuGet, is bound to Microsoft's MPI on
/// Windows, and no other .NET binding is maintained. Open MPI's handles (<c>MPI_COMM_WORLD</c>,
/// <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, ...) are the addresses of exported symbols, which this reads
/// once; MPICH's are integers, so a job launched by another MPI is refused when it starts
/// (<see cref="Communicator.FromEnvironment"/>). Collectives go through <c>MPI_COMM_WORLD</c>'s
/// default error handler, which aborts the whole job on a failure: a rank that dies takes the job
/// down (mpirun names it) instead of leaving the others waiting in a collective.
/// </summary>
public sealed unsafe partial class MpiCommunicator : ICommunicator
{
    /// <summary>The library's file name: Open MPI 3 and 4's ABI.</summary>
    public const string Library = "libmpi.so.40";

    private const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED: one thread at a time calls MPI
    private static readonly nint InPlace = 1; // MPI_IN_PLACE in Open MPI's mpi.h
    private const int MaxCount = 1 << 30; // MPI's counts are ints: larger buffers go in pieces

    private static Handles? handles;
    private readonly nint comm;
    private readonly bool world;
    private bool disposed;

    private MpiCommunicator(nint comm, bool world, string transport)
    {
        this.comm = comm;
        this.world = world;
        Transport = transport;
        int rank, size;
        Check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
        Check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
    }

    /// <summary>
    /// Initialises MPI (once per process) and returns <c>MPI_COMM_WORLD</c>.
    /// </summary>
    /// <exception cref="DllNotFoundException">libmpi.so.40 cannot be loaded.</exception>
    /// <exception cref="NotSupportedException">The library loaded is not Open MPI.</exception>
    public static MpiCommunicator World()
    {
        string version = LibraryVersion();
        if (!version.Contains("Open MPI", StringComparison.Ordinal))
            throw new NotSupportedException($"{Library} says it is \"{version}\"; NetGen speaks Open MPI's ABI (handles are its exported symbols), and this is another MPI.");
        int initialised;
        Check(MPI_Initialized(&initialised), "MPI_Initialized");
        if (initialised == 0)
        {
            int provided;
            Check(MPI_Init_thread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
            if (provided < ThreadSerialized)
                throw new NotSupportedException($"{version}: gives thread level {provided}; NetGen needs MPI_THREAD_SERIALIZED ({ThreadSerialized}).");
        }
        handles ??= Handles.Read();
        return new MpiCommunicator(handles.CommWorld, world: true, version);
    }

    /// <summary>The library's own description (MPI_Get_library_version), to its first comma: "Open MPI v4.1.4".</summary>
    public static string LibraryVersion()
    {
        var text = new byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI, 8192 in MPICH
        int length;
        fixed (byte* p = text)
            Check(MPI_Get_library_version(p, &length), "MPI_Get_library_version");
        return Encoding.ASCII.GetString(text, 0, Math.Clamp(length, 0, text.Length)).Split('\n', ',')[0].Trim();
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public string Transport { get; }

    /// <inheritdoc/>
    public void AllReduceSum(Span<float> values)
    {
        fixed (float* p = values)
            AllReduce(p, values.Length, sizeof(float), handles!.Float);
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<double> values)
    {
        fixed (double* p = values)
            AllReduce(p, values.Length, sizeof(double), handles!.Double);
    }

    /// <inheritdoc/>
    public void AllReduceSum(Span<long> values)
    {
        fixed (long* p = values)
            AllReduce(p, values.Length, sizeof(long), handles!.Int64);
    }

    private void AllReduce(void* values, int count, int size, nint type)
    {
        for (int done = 0; done < count; done += MaxCount)
            Check(MPI_Allreduce(InPlace, (byte*)values + (long)done * size, Math.Min(MaxCount, count - done), type, handles!.Sum, comm), "MPI_Allreduce");
    }

    /// <inheritdoc/>
    public IReduction StartAllReduceSum(Memory<float> values)
    {
        if (values.Length > MaxCount)
            throw new ArgumentException($"{values.Length:N0} values: a started all-reduce takes at most {MaxCount:N0} (MPI's int count); use buckets.", nameof(values));
        var pin = values.Pin();
        nint request;
        Check(MPI_Iallreduce(InPlace, pin.Pointer, values.Length, handles!.Float, handles.Sum, comm, &request), "MPI_Iallreduce");
        return new Reduction(request, pin);
    }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values, int root = 0)
    {
        fixed (float* p = values)
            for (int done = 0; done < values.Length; done += MaxCount)
                Check(MPI_Bcast(p + done, Math.Min(MaxCount, values.Length - done), handles!.Float, root, comm), "MPI_Bcast");
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> bytes, int root = 0)
    {
        fixed (byte* p = bytes)
            for (int done = 0; done < bytes.Length; done += MaxCount)
                Check(MPI_Bcast(p + done, Math.Min(MaxCount, bytes.Length - done), handles!.Byte, root, comm), "MPI_Bcast");
    }

    /// <inheritdoc/>
    public void AllGather(ReadOnlySpan<float> send, Span<float> receive)
    {
        int count = BlockCount(send.Length, receive.Length, Size, sizeof(float));
        fixed (float* s = send)
        fixed (float* r = receive)
            Check(MPI_Allgather(s, count, handles!.Float, r, count, handles.Float, comm), "MPI_Allgather");
    }

    /// <inheritdoc/>
    public void AllToAll(ReadOnlySpan<float> send, Span<float> receive)
    {
        if (send.Length % Size != 0)
            throw new ArgumentException($"an all-to-all over {Size} ranks sends {Size} equal blocks; {send.Length} values do not divide", nameof(send));
        int count = BlockCount(send.Length / Size, receive.Length, Size, sizeof(float));
        fixed (float* s = send)
        fixed (float* r = receive)
            Check(MPI_Alltoall(s, count, handles!.Float, r, count, handles.Float, comm), "MPI_Alltoall");
    }

    /// <summary>A block's count as MPI's int: these collectives lay blocks out by rank, so they cannot go in pieces as the all-reduce does.</summary>
    private static int BlockCount(long block, long receive, int size, int bytes)
    {
        if (block > MaxCount)
            throw new ArgumentException($"blocks of {block:N0} values ({block * bytes:N0} bytes) per rank: a gather takes at most {MaxCount:N0} (MPI's int count)");
        if (block * size != receive)
            throw new ArgumentException($"{size} blocks of {block} values fill {block * size}, not {receive}");
        return (int)block;
    }

    /// <inheritdoc/>
    public void Barrier() => Check(MPI_Barrier(comm), "MPI_Barrier");

    /// <inheritdoc/>
    public ICommunicator Split(int color, int key)
    {
        nint split;
        Check(MPI_Comm_split(comm, color, key, &split), "MPI_Comm_split");
        return new MpiCommunicator(split, world: false, Transport);
    }

    /// <inheritdoc/>
    public void Abort(int code, string message)
    {
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        MPI_Abort(handles!.CommWorld, code);
    }

    /// <summary>Frees a split communicator; the world's ends MPI (MPI_Finalize), after which no communicator of this process works.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        if (world)
        {
            int finalised;
            if (MPI_Finalized(&finalised) == 0 && finalised == 0)
                MPI_Finalize();
        }
        else
        {
            nint c = comm;
            MPI_Comm_free(&c);
        }
    }

    private static void Check(int code, string call)
    {
        if (code != 0)
            throw new InvalidOperationException($"{call} failed with MPI error {code}.");
    }

    private sealed class Reduction(nint request, System.Buffers.MemoryHandle pin) : IReduction
    {
        private nint request = request;
        private bool done;

        public bool Test()
        {
            if (done)
                return true;
            int flag;
            nint r = request;
            Check(MPI_Test(&r, &flag, null), "MPI_Test");
            request = r;
            if (flag != 0)
                Finish();
            return done;
        }

        public void Wait()
        {
            if (done)
                return;
            nint r = request;
            Check(MPI_Wait(&r, null), "MPI_Wait");
            Finish();
        }

        private void Finish()
        {
            done = true;
            pin.Dispose();
        }

        public void Dispose() => Wait();
    }

    /// <summary>Open MPI's predefined handles: the addresses of its exported objects.</summary>
    private sealed record Handles(nint CommWorld, nint Float, nint Double, nint Int64, nint Byte, nint Sum)
    {
        public static Handles Read()
        {
            nint library = NativeLibrary.Load(Library);
            return new Handles(NativeLibrary.GetExport(library, "ompi_mpi_comm_world"), NativeLibrary.GetExport(library, "ompi_mpi_float"),
                NativeLibrary.GetExport(library, "ompi_mpi_double"), NativeLibrary.GetExport(library, "ompi_mpi_int64_t"),
                NativeLibrary.GetExport(library, "ompi_mpi_byte"), NativeLibrary.GetExport(library, "ompi_mpi_op_sum"));
        }
    }

    [LibraryImport(Library)] private static partial int MPI_Get_library_version(byte* version, int* length);
    [LibraryImport(Library)] private static partial int MPI_Initialized(int* flag);
    [LibraryImport(Library)] private static partial int MPI_Finalized(int* flag);
    [LibraryImport(Library)] private static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);
    [LibraryImport(Library)] private static partial int MPI_Finalize();
    [LibraryImport(Library)] private static partial int MPI_Comm_rank(nint comm, int* rank);
    [LibraryImport(Library)] private static partial int MPI_Comm_size(nint comm, int* size);
    [LibraryImport(Library)] private static partial int MPI_Allreduce(nint send, void* receive, int count, nint type, nint op, nint comm);
    [LibraryImport(Library)] private static partial int MPI_Iallreduce(nint send, void* receive, int count, nint type, nint op, nint comm, nint* request);
    [LibraryImport(Library)] private static partial int MPI_Test(nint* request, int* flag, void* status);
    [LibraryImport(Library)] private static partial int MPI_Wait(nint* request, void* status);
    [LibraryImport(Library)] private static partial int MPI_Allgather(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm);
    [LibraryImport(Library)] private static partial int MPI_Alltoall(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm);
    [LibraryImport(Library)] private static partial int MPI_Bcast(void* buffer, int count, nint type, int root, nint comm);
    [LibraryImport(Library)] private static partial int MPI_Barrier(nint comm);
    [LibraryImport(Library)] private static partial int MPI_Comm_split(nint comm, int color, int key, nint* split);
    [LibraryImport(Library)] private static partial int MPI_Comm_free(nint* comm);
    [LibraryImport(Library)] private static partial int MPI_Abort(nint comm, int code);
}
