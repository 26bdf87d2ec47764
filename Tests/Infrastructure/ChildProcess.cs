using System;
using System.Diagnostics;
using System.Text;

namespace NetGen.Tests.Infrastructure;

/// <summary>A process a test started, with its standard output and error gathered as they come, in one text.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder text = new();

    public ChildProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (text)
                return text.ToString();
        }
    }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public bool WaitForExit(TimeSpan limit)
    {
        if (!process.WaitForExit(limit))
            return false;
        process.WaitForExit(); // the end of both streams
        return true;
    }

    public void Kill() => process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!process.HasExited)
            Kill();
        process.Dispose();
    }
}
