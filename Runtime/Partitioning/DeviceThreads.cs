using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace NetGen;

/// <summary>
/// One long-lived thread per device. Each column must run on a thread of its own (it blocks at the
/// plan's meeting points until the others arrive), and on the same thread every step, because the
/// CPU backend keeps its scratch buffers per thread: a fresh thread a step would allocate them anew.
/// </summary>
internal sealed class DeviceThreads : IDisposable
{
    private readonly Thread[] threads;
    private readonly SemaphoreSlim[] start;
    private readonly CountdownEvent done;
    private readonly Exception?[] errors;
    private Action<int>? work;
    private volatile bool stopping;

    public DeviceThreads(int count, string name)
    {
        start = new SemaphoreSlim[count];
        errors = new Exception?[count];
        done = new CountdownEvent(count);
        threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int device = i;
            start[i] = new SemaphoreSlim(0);
            threads[i] = new Thread(() => Loop(device)) { IsBackground = true, Name = $"{name} device {device}" };
            threads[i].Start();
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(d) on device d's thread for every device and waits for all of
    /// them; rethrows the first failure that is not a cancellation the failure caused elsewhere.
    /// </summary>
    public void Run(Action<int> body)
    {
        work = body;
        done.Reset();
        Array.Clear(errors);
        foreach (var s in start)
            s.Release();
        done.Wait();
        Exception? first = null;
        foreach (var e in errors)
            if (e is not null && (first is null || first is OperationCanceledException))
                first = e;
        if (first is not null)
            ExceptionDispatchInfo.Capture(first).Throw();
    }

    private void Loop(int device)
    {
        while (true)
        {
            start[device].Wait();
            if (stopping)
                return;
            try
            {
                work!(device);
            }
            catch (Exception e)
            {
                errors[device] = e;
            }
            finally
            {
                done.Signal();
            }
        }
    }

    public void Dispose()
    {
        stopping = true;
        foreach (var s in start)
            s.Release();
        foreach (var t in threads)
            t.Join();
        foreach (var s in start)
            s.Dispose();
        done.Dispose();
    }
}
