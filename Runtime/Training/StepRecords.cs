using System;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// The results of the training steps the host has not read yet, on the accelerator: after each
/// step's loss kernel, one thread sums the batch's losses and hits into the next slot, so a step
/// reads nothing back and the host reads every slot at once when it checks the steps.
/// </summary>
internal sealed class StepRecords : IDisposable
{
    private readonly MemoryBuffer1D<StepResult, Stride1D.Dense> records;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, int, ArrayView<StepResult>> record;

    /// <summary>Room for <paramref name="capacity"/> steps on <paramref name="accelerator"/>.</summary>
    public StepRecords(Accelerator accelerator, int capacity)
    {
        records = accelerator.Allocate1D<StepResult>(capacity);
        record = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, ArrayView<StepResult>>(RecordKernel);
    }

    /// <summary>Steps the records hold.</summary>
    public int Capacity => (int)records.Length;

    /// <summary>Enqueues the record of the step whose losses and ranks <paramref name="pass"/> holds into slot <paramref name="slot"/>.</summary>
    public void Enqueue(BackwardPass pass, int slot) => record(1, pass.LossesOnDevice, pass.RanksOnDevice, slot, records.View);

    /// <summary>The first <paramref name="count"/> records, once the accelerator has finished their steps.</summary>
    public StepResult[] Read(int count)
    {
        var read = new StepResult[count];
        if (count > 0)
            records.View.SubView(0, count).CopyToCPU(read);
        return read;
    }

    /// <summary>
    /// One thread: the step's result as <see cref="StepResult.From"/> computes it on the host (the
    /// losses added in double in image order, then divided by the images), so it is the same number.
    /// </summary>
    private static void RecordKernel(Index1D index, ArrayView<float> losses, ArrayView<int> ranks, int slot, ArrayView<StepResult> records)
    {
        double sum = 0;
        int top1 = 0, top5 = 0, images = losses.IntLength;
        for (int i = 0; i < images; i++)
        {
            sum += losses[i];
            top1 += ranks[i] < 1 ? 1 : 0;
            top5 += ranks[i] < 5 ? 1 : 0;
        }
        records[slot] = new StepResult(images, sum / images, top1, top5);
    }

    public void Dispose() => records.Dispose();
}
