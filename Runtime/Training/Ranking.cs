using System;
using System.Numerics;

namespace NetGen;

/// <summary>
/// The one order NetGen ranks a row of class scores by, everywhere: the training step on both backends and
/// in the split over devices (the CPU loss calls it; the generated ILGPU loss kernel calls <see cref="Precedes(float, int, float, int)"/>),
/// <see cref="Evaluator"/> (<c>eval</c> and each epoch's validation), <c>classify</c> and <c>forward</c>.
/// It is PyTorch's descending order as <c>torch.sort(scores, descending=True, stable=True)</c> gives it on the
/// CPU: a NaN before every number (NaNs equal to one another), then larger scores first, and equal scores
/// (<c>-0</c> equals <c>0</c>, infinity equals infinity) in class order, the lower class first. A top-k hit is a
/// rank below k, where the rank is the number of classes before the label; <c>torch.topk</c> picks the same
/// classes whenever the k-th and (k+1)-th scores differ (benchmarks/reference/torch_topk_ties.py, and the fixture
/// Tests/Training/Fixtures/torch_topk_ties.json the tests hold NetGen to).
/// </summary>
/// <remarks>Scores are logits, so probabilities that round to zero never tie a label into the top five.</remarks>
public static class Ranking
{
    /// <summary>
    /// True when class <paramref name="i"/> scoring <paramref name="a"/> comes before class <paramref name="j"/>
    /// scoring <paramref name="b"/>. Plain enough to run inside an ILGPU kernel (the generated loss kernel calls it).
    /// </summary>
    public static bool Precedes(float a, int i, float b, int j) =>
        float.IsNaN(b) ? float.IsNaN(a) && i < j : float.IsNaN(a) || a > b || (a == b && i < j);

    /// <summary>As <see cref="Precedes(float, int, float, int)"/>, for scores of any precision.</summary>
    public static bool Precedes<T>(T a, int i, T b, int j) where T : IFloatingPointIeee754<T> =>
        T.IsNaN(b) ? T.IsNaN(a) && i < j : T.IsNaN(a) || a > b || (a == b && i < j);

    /// <summary>The label's rank in <paramref name="scores"/>: how many classes come before it (0 is a top-1 hit, below 5 a top-5 hit).</summary>
    public static int RankOf<T>(ReadOnlySpan<T> scores, int label) where T : IFloatingPointIeee754<T>
    {
        if ((uint)label >= (uint)scores.Length)
            throw new ArgumentOutOfRangeException(nameof(label), label, $"a label of {scores.Length} classes");
        T target = scores[label];
        int rank = 0;
        for (int i = 0; i < scores.Length; i++)
            rank += Precedes(scores[i], i, target, label) ? 1 : 0;
        return rank;
    }

    /// <summary>The first <paramref name="k"/> classes of <paramref name="scores"/> in order (fewer when the row is shorter).</summary>
    public static int[] Top<T>(ReadOnlySpan<T> scores, int k) where T : IFloatingPointIeee754<T>
    {
        var values = scores.ToArray();
        return Top(values.Length, k, (i, j) => Precedes(values[i], i, values[j], j));
    }

    private static int[] Top(int count, int k, Func<int, int, bool> precedes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var order = new int[count];
        for (int i = 0; i < count; i++)
            order[i] = i;
        // A strict total order (the class breaks every tie), so an unstable sort gives one answer.
        Array.Sort(order, (i, j) => i == j ? 0 : precedes(i, j) ? -1 : 1);
        return order[..Math.Min(k, count)];
    }
}
