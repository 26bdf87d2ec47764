using System;
using System.Collections.Generic;
using System.Threading.Tasks;

namespace NetGen.Data;

/// <summary>The batch queues a run needs: shuffled and augmented for training, in order and cropped the same way for measuring.</summary>
public static class Batches
{
    /// <summary>
    /// <paramref name="epoch"/>'s training batches, from batch <paramref name="skip"/> on: the dataset shuffled by (seed, epoch),
    /// cut into full batches of <paramref name="batchSize"/> (the remainder sits the epoch out; the next shuffle differs),
    /// each image randomly cropped, mirrored and colour-shifted. With <paramref name="shards"/> above 1 (a
    /// data-parallel job's processes), each batch is cut into that many equal shares and this queue holds
    /// share <paramref name="shard"/> of each: the images <c>shard * batchSize / shards</c> on of the whole batch.
    /// </summary>
    public static BatchQueue Training(Dataset dataset, Augmenter augmenter, int batchSize, ulong seed, int epoch, int skip = 0, int shard = 0, int shards = 1)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(augmenter);
        if (shards < 1 || batchSize % shards != 0 || shard < 0 || shard >= shards)
            throw new ArgumentException($"a batch of {batchSize} does not cut into {shards} equal shares (share {shard} asked for)", nameof(shards));
        var order = Augmenter.Shuffle(dataset.Count, seed, epoch);
        int size = augmenter.Input.Size, batches = dataset.Count / batchSize, share = batchSize / shards;
        return new BatchQueue(Math.Max(0, batches - skip), share, size, batch =>
        {
            int first = (batch.Number + skip) * batchSize + shard * share;
            batch.Count = share;
            Parallel.For(0, share, k =>
            {
                int index = order[first + k];
                batch.Indices[k] = index;
                batch.Labels[k] = dataset.Label(index);
                augmenter.WriteTraining(dataset, index, seed, epoch, batch.Images.AsSpan(k * size, size));
            });
        });
    }

    /// <summary>
    /// Every image of <paramref name="dataset"/> in order, in batches of <paramref name="batchSize"/> (the last one
    /// may be short), each image decoded once and cut into every one of <paramref name="crops"/>, with no colour shift.
    /// A batch's images are crop-major: crop c's <paramref name="batchSize"/> inputs start at c * batchSize * input size,
    /// so each crop is a whole batch for the network.
    /// </summary>
    public static BatchQueue Evaluation(Dataset dataset, Augmenter augmenter, int batchSize, IReadOnlyList<Crop> crops)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(augmenter);
        ArgumentNullException.ThrowIfNull(crops);
        int size = augmenter.Input.Size, batches = (dataset.Count + batchSize - 1) / batchSize;
        return new BatchQueue(batches, batchSize, size * crops.Count, batch =>
        {
            int first = batch.Number * batchSize;
            batch.Count = Math.Min(batchSize, dataset.Count - first);
            Array.Clear(batch.Images);
            Parallel.For(0, batch.Count, k =>
            {
                int index = first + k;
                batch.Indices[k] = index;
                batch.Labels[k] = dataset.Label(index);
                var square = augmenter.Square(dataset.Read(index));
                for (int c = 0; c < crops.Count; c++)
                    augmenter.Write(square, crops[c], default, batch.Images.AsSpan((c * batchSize + k) * size, size));
            });
        });
    }
}
