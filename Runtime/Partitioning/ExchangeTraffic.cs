using System.Threading;

namespace NetGen;

/// <summary>
/// The bytes an <see cref="IColumnExchange"/> moves between different columns, forward and
/// backward, counted from several threads at once; both exchanges keep their counts in one.
/// </summary>
internal sealed class ExchangeTraffic
{
    private long forwardBytes, backwardBytes;

    /// <summary>Bytes sent in forward passes since the last <see cref="Reset"/>.</summary>
    public long ForwardBytes => Interlocked.Read(ref forwardBytes);

    /// <summary>Bytes sent in backward passes since the last <see cref="Reset"/>.</summary>
    public long BackwardBytes => Interlocked.Read(ref backwardBytes);

    /// <summary>Counts <paramref name="bytes"/> sent forward.</summary>
    public void AddForward(long bytes) => Interlocked.Add(ref forwardBytes, bytes);

    /// <summary>Counts <paramref name="bytes"/> sent backward.</summary>
    public void AddBackward(long bytes) => Interlocked.Add(ref backwardBytes, bytes);

    /// <summary>Sets both counts to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref forwardBytes, 0);
        Interlocked.Exchange(ref backwardBytes, 0);
    }
}
