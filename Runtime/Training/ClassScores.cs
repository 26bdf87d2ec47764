using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen;

/// <summary>
/// One image's class scores as <see cref="Evaluator"/>, <c>classify</c> and the tests rank them. One crop is ranked by its
/// logits (<see cref="Ranking"/>: exactly <c>torch.sort(logits, descending=True, stable=True)</c>), never by probabilities that
/// may round to equal values. Several crops average their softmax outputs, as the paper does; the average is kept as its
/// logarithm, <c>log sum_c w_c exp(log p_c)</c> computed in double from each crop's log-softmax (log-sum-exp, so no
/// probability underflows to zero), and ranked by that in the same order.
/// </summary>
public sealed class ClassScores
{
    private readonly float[]? logits;
    private readonly double[] logProbabilities;

    private ClassScores(float[]? logits, double[] logProbabilities)
    {
        this.logits = logits;
        this.logProbabilities = logProbabilities;
    }

    /// <summary>A single crop's scores, from its logits.</summary>
    public static ClassScores FromLogits(ReadOnlySpan<float> logits)
    {
        var copy = logits.ToArray();
        return new ClassScores(copy, LogSoftmax(copy));
    }

    /// <summary>The weighted mean of several crops' softmax outputs (weights summing to 1), from each crop's logits.</summary>
    public static ClassScores Average(IReadOnlyList<float[]> cropLogits, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(cropLogits);
        ArgumentNullException.ThrowIfNull(weights);
        if (cropLogits.Count == 0 || cropLogits.Count != weights.Count)
            throw new ArgumentException($"{cropLogits.Count} crops and {weights.Count} weights.", nameof(weights));
        var logs = cropLogits.Select(LogSoftmax).ToArray();
        int classes = logs[0].Length;
        var mean = new double[classes];
        for (int j = 0; j < classes; j++)
        {
            double max = double.NegativeInfinity;
            bool nan = false;
            foreach (var l in logs)
            {
                nan |= double.IsNaN(l[j]);
                max = Math.Max(max, l[j]);
            }
            if (nan || double.IsNegativeInfinity(max))
            {
                mean[j] = nan ? double.NaN : double.NegativeInfinity;
                continue;
            }
            double sum = 0;
            for (int c = 0; c < logs.Length; c++)
                sum += weights[c] * Math.Exp(logs[c][j] - max);
            mean[j] = max + Math.Log(sum);
        }
        return new ClassScores(null, mean);
    }

    /// <summary>Classes scored.</summary>
    public int Classes => logProbabilities.Length;

    /// <summary>The log of class <paramref name="c"/>'s (mean) probability.</summary>
    public double LogProbability(int c) => logProbabilities[c];

    /// <summary>Class <paramref name="c"/>'s (mean) probability.</summary>
    public double Probability(int c) => Math.Exp(logProbabilities[c]);

    /// <summary>The cross-entropy against <paramref name="label"/>: <c>-log p</c>, from the logits (<c>logsumexp(z) - z[label]</c> for one crop).</summary>
    public double Loss(int label) => -logProbabilities[label];

    /// <summary>The label's rank (<see cref="Ranking.RankOf{T}(ReadOnlySpan{T}, int)"/>): 0 is a top-1 hit, below 5 a top-5 hit.</summary>
    public int RankOf(int label) => logits is not null ? Ranking.RankOf(logits, label) : Ranking.RankOf(logProbabilities, label);

    /// <summary>The first <paramref name="k"/> classes in <see cref="Ranking"/>'s order.</summary>
    public int[] Top(int k) => logits is not null ? Ranking.Top(logits, k) : Ranking.Top(logProbabilities, k);

    /// <summary>Log-softmax in double: <c>z - max - log sum exp(z - max)</c>; a row holding a NaN gives NaN everywhere, as softmax does.</summary>
    private static double[] LogSoftmax(float[] z)
    {
        double max = double.NegativeInfinity;
        bool nan = false;
        foreach (float v in z)
        {
            nan |= float.IsNaN(v);
            max = Math.Max(max, v);
        }
        var result = new double[z.Length];
        if (nan)
        {
            Array.Fill(result, double.NaN);
            return result;
        }
        double sum = 0;
        foreach (float v in z)
            sum += Math.Exp(v - max);
        double logSum = max + Math.Log(sum);
        for (int j = 0; j < z.Length; j++)
            result[j] = z[j] - logSum;
        return result;
    }
}
