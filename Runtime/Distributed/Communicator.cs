using System;

namespace NetGen.Distributed;

/// <summary>Finds the job this process belongs to.</summary>
public static class Communicator
{
    /// <summary>
    /// MPI's <c>MPI_COMM_WORLD</c> when this process was started by Open MPI's <c>mpirun</c> (it sets
    /// <c>OMPI_COMM_WORLD_SIZE</c>), else <see cref="SingleProcess"/>, which loads no library and costs nothing.
    /// </summary>
    /// <exception cref="NotSupportedException">Another MPI launched this process, or Open MPI's library cannot be loaded or started.</exception>
    public static ICommunicator FromEnvironment()
    {
        string? openMpi = Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE");
        if (openMpi is null)
        {
            if (Environment.GetEnvironmentVariable("PMI_SIZE") is { } other)
                throw new NotSupportedException($"This process was started by an MPI launcher other than Open MPI's (PMI_SIZE={other}, no OMPI_COMM_WORLD_SIZE): " +
                    $"NetGen speaks Open MPI's ABI ({MpiCommunicator.Library}); start it with Open MPI's mpirun (Debian: apt-get install openmpi-bin libopenmpi3).");
            return SingleProcess.Instance;
        }
        if (openMpi == "1")
            return SingleProcess.Instance;
        try
        {
            return MpiCommunicator.World();
        }
        catch (DllNotFoundException e)
        {
            throw new NotSupportedException($"mpirun started this process as one of {openMpi}, but {MpiCommunicator.Library} cannot be loaded ({e.Message}); " +
                "install Open MPI's library on every machine (Debian: apt-get install libopenmpi3).", e);
        }
    }
}
