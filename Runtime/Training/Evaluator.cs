using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Data;

namespace NetGen;

/// <summary>Loss and accuracy over a whole split.</summary>
/// <param name="Images">Images measured.</param>
/// <param name="Loss">Mean cross-entropy of the (crop-averaged) probabilities, from the logits.</param>
/// <param name="Top1Accuracy">Fraction whose label ranked first (<see cref="Ranking"/>: by the logits, ties to the lower class).</param>
/// <param name="Top5Accuracy">Fraction whose label ranked among the first five.</param>
public sealed record EvaluationResult(int Images, double Loss, double Top1Accuracy, double Top5Accuracy)
{
    /// <summary>1 - <see cref="Top1Accuracy"/>.</summary>
    public double Top1Error => 1 - Top1Accuracy;

    /// <summary>1 - <see cref="Top5Accuracy"/>.</summary>
    public double Top5Error => 1 - Top5Accuracy;
}

/// <summary>Runs a network over every image of a dataset in evaluation mode (no dropout).</summary>
public static class Evaluator
{
    /// <summary>
    /// Top-1 and top-5 accuracy and the loss over <paramref name="dataset"/>: on the centre crop, or with
    /// <paramref name="tenCrop"/> on the paper's ten crops, their softmax outputs averaged. Each image is
    /// ranked and scored by <see cref="ClassScores"/>: one crop by its logits, several by the log of their mean probability.
    /// </summary>
    public static EvaluationResult Evaluate(ForwardPass pass, Dataset dataset, Augmenter augmenter, bool tenCrop, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(dataset);
        var crops = tenCrop ? augmenter.TenCrops : [augmenter.Centre];
        double loss = 0;
        int top1 = 0, top5 = 0;
        ForEachImage(pass, dataset, augmenter, crops, (label, _, scores) =>
        {
            int rank = scores.RankOf(label);
            top1 += rank < 1 ? 1 : 0;
            top5 += rank < 5 ? 1 : 0;
            loss += scores.Loss(label);
        }, progress);
        int n = dataset.Count;
        return new EvaluationResult(n, loss / n, (double)top1 / n, (double)top5 / n);
    }

    /// <summary>
    /// The activation <paramref name="activation"/> (for example AlexNet's <c>fc7</c>) of every image's centre crop, image after image:
    /// dataset.Count x the activation's size.
    /// </summary>
    public static float[] Features(ForwardPass pass, Dataset dataset, Augmenter augmenter, string activation, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(dataset);
        int size = pass.ShapeOf(activation).Size;
        var features = new float[(long)dataset.Count * size];
        ForEachBatch(pass, dataset, augmenter, [(augmenter.Centre, 1.0)], activation, (batch, outputs) =>
        {
            for (int k = 0; k < batch.Count; k++)
                outputs[0].AsSpan(k * size, size).CopyTo(features.AsSpan(batch.Indices[k] * size, size));
        }, progress);
        return features;
    }

    /// <summary>
    /// The network's class scores for prepared inputs (NCHW, any number of images), <paramref name="crops"/> consecutive
    /// inputs averaged per image as <see cref="Evaluate"/> averages them.
    /// </summary>
    public static ClassScores[] Scores(ForwardPass pass, float[] inputs, int crops = 1)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(crops);
        int size = pass.Network.Info.Input.Size, classes = pass.Network.Info.Output.Size, count = inputs.Length / size;
        var logits = new float[count][];
        var batch = new float[pass.BatchSize * size];
        for (int first = 0; first < count; first += pass.BatchSize)
        {
            int n = Math.Min(pass.BatchSize, count - first);
            Array.Clear(batch);
            inputs.AsSpan(first * size, n * size).CopyTo(batch);
            var output = Logits(pass, batch);
            for (int k = 0; k < n; k++)
                logits[first + k] = output.AsSpan(k * classes, classes).ToArray();
        }
        var weights = Enumerable.Repeat(1.0 / crops, crops).ToArray();
        return Enumerable.Range(0, count / crops)
            .Select(i => crops == 1 ? ClassScores.FromLogits(logits[i]) : ClassScores.Average(logits[(i * crops)..((i + 1) * crops)], weights))
            .ToArray();
    }

    /// <summary>The network's class probabilities for prepared inputs (NCHW, any number of images), <paramref name="crops"/> consecutive inputs averaged per image.</summary>
    public static float[][] Probabilities(ForwardPass pass, float[] inputs, int crops = 1) =>
        Scores(pass, inputs, crops).Select(s => Enumerable.Range(0, s.Classes).Select(c => (float)s.Probability(c)).ToArray()).ToArray();

    /// <summary>Runs <paramref name="images"/> (one batch) and returns the logits: the activation before a final softmax, else the output.</summary>
    public static float[] Logits(ForwardPass pass, float[] images)
    {
        ArgumentNullException.ThrowIfNull(pass);
        var output = pass.Run(images);
        return pass.LogitsName == pass.OutputName ? output : pass.Read(pass.LogitsName);
    }

    /// <summary>
    /// The name of the activation a layer's output lands in: the layer's name when its operations after the
    /// learnable one are elementwise, else the name of its last operation's buffer (<c>conv5.maxpool</c>).
    /// </summary>
    public static string OutputOf(ForwardPass pass, string layer)
    {
        ArgumentNullException.ThrowIfNull(pass);
        return pass.Activations.LastOrDefault(a => a == layer || a.StartsWith(layer + ".", StringComparison.Ordinal))
            ?? throw new ArgumentException($"{pass.Network.Info.Name} has no layer '{layer}'.", nameof(layer));
    }

    private static void ForEachImage(ForwardPass pass, Dataset dataset, Augmenter augmenter, IReadOnlyList<Crop> crops,
        Action<int, int, ClassScores> visit, Action<int>? progress)
    {
        // A crop listed twice gives the same output twice (a 28x28 network's ten crops are two views, five times
        // each): run each distinct crop once and weight it by how often it is listed.
        var distinct = crops.GroupBy(c => c).Select(g => (Crop: g.Key, Weight: (double)g.Count() / crops.Count)).ToArray();
        var weights = distinct.Select(d => d.Weight).ToArray();
        int classes = pass.Network.Info.Output.Size;
        ForEachBatch(pass, dataset, augmenter, distinct, null, (batch, outputs) =>
        {
            for (int k = 0; k < batch.Count; k++)
            {
                var scores = distinct.Length == 1
                    ? ClassScores.FromLogits(outputs[0].AsSpan(k * classes, classes))
                    : ClassScores.Average(outputs.Select(o => o.AsSpan(k * classes, classes).ToArray()).ToArray(), weights);
                visit(batch.Labels[k], batch.Indices[k], scores);
            }
        }, progress);
    }

    /// <summary>Each batch with, per crop, the activation <paramref name="activation"/> read for the whole batch (the logits when null).</summary>
    private static void ForEachBatch(ForwardPass pass, Dataset dataset, Augmenter augmenter, IReadOnlyList<(Crop Crop, double Weight)> crops,
        string? activation, Action<Batch, float[][]> visit, Action<int>? progress)
    {
        int batchSize = pass.BatchSize, size = augmenter.Input.Size;
        var input = new float[batchSize * size];
        var outputs = new float[crops.Count][];
        int done = 0;
        using var queue = Batches.Evaluation(dataset, augmenter, batchSize, crops.Select(d => d.Crop).ToArray());
        foreach (var batch in queue)
        {
            for (int c = 0; c < crops.Count; c++)
            {
                batch.Images.AsSpan(c * batchSize * size, batchSize * size).CopyTo(input);
                if (activation is null)
                    outputs[c] = Logits(pass, input);
                else
                {
                    pass.Run(input);
                    outputs[c] = pass.Read(activation);
                }
            }
            visit(batch, outputs);
            done += batch.Count;
            progress?.Invoke(done);
        }
    }
}
