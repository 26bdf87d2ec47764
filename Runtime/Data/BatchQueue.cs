using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace NetGen.Data;

/// <summary>One batch of network input: images (NCHW) and labels, and which dataset images they are.</summary>
public sealed class Batch
{
    internal Batch(int capacity, int inputSize)
    {
        Images = new float[capacity * inputSize];
        Labels = new int[capacity];
        Indices = new int[capacity];
    }

    /// <summary>Index of the batch in its epoch (or pass).</summary>
    public int Number { get; internal set; }

    /// <summary>Images in the batch; the last batch of an evaluation pass may hold fewer than the capacity (the rest of <see cref="Images"/> is zero).</summary>
    public int Count { get; internal set; }

    /// <summary>capacity x input floats, NCHW.</summary>
    public float[] Images { get; }

    /// <summary>The class of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Each image's index in its dataset.</summary>
    public int[] Indices { get; }
}

/// <summary>
/// A bounded prefetch queue: a background task fills batches (loading, decoding and augmenting
/// their images on every core) while the caller trains on earlier ones, so the compute never
/// waits on the disk unless loading is slower than training. Batches come out in order and their
/// contents depend only on what <c>fill</c> computes, never on timing. A batch is the caller's
/// until it asks for the next one; then its memory is reused. An exception while filling (a
/// corrupt file) is rethrown to the caller, unchanged, at the batch it spoiled.
/// </summary>
public sealed class BatchQueue : IEnumerable<Batch>, IDisposable
{
    private readonly BlockingCollection<Batch> ready, free;
    private readonly CancellationTokenSource cancel = new();
    private readonly Task producer;
    private ExceptionDispatchInfo? failure;
    private bool enumerated;

    /// <summary>
    /// Starts filling <paramref name="batches"/> batches of up to <paramref name="capacity"/> inputs of
    /// <paramref name="inputSize"/> floats; <paramref name="fill"/> gets each batch's number and a batch to fill
    /// (it sets <see cref="Batch.Count"/> and the arrays). At most <paramref name="depth"/> batches wait ready.
    /// </summary>
    public BatchQueue(int batches, int capacity, int inputSize, Action<Batch> fill, int depth = 3)
    {
        ArgumentNullException.ThrowIfNull(fill);
        ready = new BlockingCollection<Batch>(depth);
        free = new BlockingCollection<Batch>();
        for (int i = 0; i < depth + 2; i++)
            free.Add(new Batch(capacity, inputSize));
        var token = cancel.Token;
        producer = Task.Factory.StartNew(() =>
        {
            try
            {
                for (int b = 0; b < batches; b++)
                {
                    var batch = free.Take(token);
                    batch.Number = b;
                    fill(batch);
                    ready.Add(batch, token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // Parallel loops wrap what a worker threw; the caller wants the file's own error.
                failure = ExceptionDispatchInfo.Capture(e is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0] : e);
            }
            finally
            {
                ready.CompleteAdding();
            }
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The batches in order. The queue can be walked once.</summary>
    public IEnumerator<Batch> GetEnumerator()
    {
        if (enumerated)
            throw new InvalidOperationException("A batch queue can be walked once.");
        enumerated = true;
        Batch? previous = null;
        foreach (var batch in ready.GetConsumingEnumerable())
        {
            if (previous is not null)
                free.Add(previous);
            previous = batch;
            yield return batch;
        }
        failure?.Throw();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Stops the producer and waits for it.</summary>
    public void Dispose()
    {
        cancel.Cancel();
        try
        {
            producer.Wait();
        }
        catch (AggregateException)
        {
        }
        ready.Dispose();
        free.Dispose();
        cancel.Dispose();
    }
}
