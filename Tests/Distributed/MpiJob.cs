using System;
using System.Diagnostics;
using System.IO;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Distributed;

/// <summary>
/// Starts <c>netgen</c> (the test's own copy, beside the test assembly) as an Open MPI job on the
/// loopback: <c>mpirun --allow-run-as-root --oversubscribe --bind-to none -np N --mca btl self,vader,tcp</c>, TCP
/// and Open MPI's own wiring kept to <c>lo</c>. CI installs Open MPI with apt (<c>.ci/run</c>).
/// Unbound, every rank sees the machine's cores, as the test process does: the CPU backend shares
/// a weight gradient's images among as many tasks as it sees cores, so a rank bound to one core
/// (Open MPI's default for two ranks) would sum in another order than the in-process run it is compared with.
/// </summary>
internal static class MpiJob
{
    public const string Mpirun = "/usr/bin/mpirun";

    /// <summary>The netgen executable the job runs.</summary>
    public static string Netgen => Path.Combine(AppContext.BaseDirectory, "netgen");

    /// <summary>Why a job cannot start here, or null.</summary>
    public static string? Unavailable => Missing.Value;

    private static readonly Lazy<string?> Missing = new(() =>
        !File.Exists(Mpirun) ? $"needs Open MPI's {Mpirun} (apt-get install openmpi-bin libopenmpi3, as .ci/run does)"
        : !File.Exists("/usr/lib/x86_64-linux-gnu/libmpi.so.40") && !File.Exists("/usr/lib/libmpi.so.40") ? "needs Open MPI's libmpi.so.40 (apt-get install libopenmpi3)"
        : null);

    /// <summary>Runs <paramref name="args"/> on <paramref name="ranks"/> ranks; returns the exit code and everything printed.</summary>
    public static (int Code, string Output) Run(int ranks, TimeSpan limit, params string[] args)
    {
        using var job = Start(ranks, args);
        if (!job.WaitForExit(limit))
        {
            job.Kill();
            throw new TimeoutException($"mpirun -np {ranks} netgen {string.Join(' ', args)} ran past {limit.TotalSeconds:0} s:\n{job.Output}");
        }
        return (job.ExitCode, job.Output);
    }

    /// <summary>Starts <paramref name="args"/> on <paramref name="ranks"/> ranks and returns at once.</summary>
    public static ChildProcess Start(int ranks, params string[] args)
    {
        var start = new ProcessStartInfo(Mpirun) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo", Netgen })
            start.ArgumentList.Add(a);
        foreach (string a in args)
            start.ArgumentList.Add(a);
        start.Environment["TERM"] = "dumb";
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{Mpirun} did not start"));
    }

    /// <summary>The process id of rank <paramref name="rank"/> of a running job (its environment names the rank), or null.</summary>
    public static int? RankProcess(int rank)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid))
                continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(directory, "cmdline")).Contains("netgen", StringComparison.Ordinal))
                    continue;
                var environment = File.ReadAllText(Path.Combine(directory, "environ")).Split('\0');
                if (environment.Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                    return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone, or not ours
            }
        }
        return null;
    }
}

/// <summary>A fact skipped, saying why, where Open MPI is not installed.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiJob.Unavailable is { } why)
            Skip = why;
    }
}

/// <summary>A theory skipped, saying why, where Open MPI is not installed.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (MpiJob.Unavailable is { } why)
            Skip = why;
    }
}
