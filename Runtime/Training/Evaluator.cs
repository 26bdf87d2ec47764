using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Data;

namespace NetGen;

/// <summary>Loss and accuracy over a whole split.</summary>
/// <param name="Images">Images measured.</param>
/// <param name="Loss">Mean cross-entropy of the (crop-averaged) probabilities.</param>
/// <param name="Top1Accuracy">Fraction whose label scored highest.</param>
/// <param name="Top5Accuracy">Fraction whose label was among the five highest.</param>
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
    /// <paramref name="tenCrop"/> on the paper's ten crops, their softmax outputs averaged.
    /// </summary>
    public static EvaluationResult Evaluate(ForwardPass pass, Dataset dataset, Augmenter augmenter, bool tenCrop, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pass);
        var crops = tenCrop ? augmenter.TenCrops : [augmenter.Centre];
        double loss = 0;
        int top1 = 0, top5 = 0;
        ForEachImage(pass, dataset, augmenter, crops, null, (label, _, probabilities) =>
        {
            float p = probabilities[label];
            int rank = 0;
            foreach (float q in probabilities)
                rank += q > p ? 1 : 0;
            top1 += rank < 1 ? 1 : 0;
            top5 += rank < 5 ? 1 : 0;
            loss -= Math.Log(Math.Max(p, 1e-30));
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
        ForEachImage(pass, dataset, augmenter, [augmenter.Centre], activation, (_, index, values) => values.CopyTo(features.AsSpan(index * size, size)), progress);
        return features;
    }

    /// <summary>The network's class probabilities for prepared inputs (NCHW, any number of images), <paramref name="crops"/> consecutive inputs averaged per image.</summary>
    public static float[][] Probabilities(ForwardPass pass, float[] inputs, int crops = 1)
    {
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(inputs);
        int size = pass.Network.Info.Input.Size, classes = pass.Network.Info.Output.Size, count = inputs.Length / size;
        var outputs = new float[count][];
        var batch = new float[pass.BatchSize * size];
        for (int first = 0; first < count; first += pass.BatchSize)
        {
            int n = Math.Min(pass.BatchSize, count - first);
            Array.Clear(batch);
            inputs.AsSpan(first * size, n * size).CopyTo(batch);
            var output = ToProbabilities(pass, pass.Run(batch));
            for (int k = 0; k < n; k++)
                outputs[first + k] = output.AsSpan(k * classes, classes).ToArray();
        }
        return Enumerable.Range(0, count / crops).Select(i =>
        {
            var mean = new float[classes];
            for (int c = 0; c < crops; c++)
                for (int j = 0; j < classes; j++)
                    mean[j] += outputs[i * crops + c][j] / crops;
            return mean;
        }).ToArray();
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

    private static void ForEachImage(ForwardPass pass, Dataset dataset, Augmenter augmenter, IReadOnlyList<Crop> crops, string? activation,
        Action<int, int, float[]> visit, Action<int>? progress)
    {
        // A crop listed twice gives the same output twice (a 28x28 network's ten crops are two views, five times
        // each): run each distinct crop once and weight it by how often it is listed.
        var distinct = crops.GroupBy(c => c).Select(g => (Crop: g.Key, Weight: (float)g.Count() / crops.Count)).ToArray();
        int batchSize = pass.BatchSize, size = augmenter.Input.Size;
        var input = new float[batchSize * size];
        float[]? sum = null;
        int done = 0;
        using var queue = Batches.Evaluation(dataset, augmenter, batchSize, distinct.Select(d => d.Crop).ToArray());
        foreach (var batch in queue)
        {
            for (int c = 0; c < distinct.Length; c++)
            {
                batch.Images.AsSpan(c * batchSize * size, batchSize * size).CopyTo(input);
                var output = pass.Run(input);
                output = activation is not null ? pass.Read(activation) : ToProbabilities(pass, output);
                if (distinct.Length == 1)
                    sum = output;
                else
                {
                    sum ??= new float[output.Length];
                    if (c == 0)
                        Array.Clear(sum);
                    for (int i = 0; i < sum.Length; i++)
                        sum[i] += distinct[c].Weight * output[i];
                }
            }
            int width = sum!.Length / batchSize;
            for (int k = 0; k < batch.Count; k++)
                visit(batch.Labels[k], batch.Indices[k], sum.AsSpan(k * width, width).ToArray());
            done += batch.Count;
            progress?.Invoke(done);
        }
    }

    /// <summary>The pass's output as probabilities: as it is when the network ends in softmax, else a softmax of each row.</summary>
    private static float[] ToProbabilities(ForwardPass pass, float[] output)
    {
        var layers = pass.Network.Info.Layers;
        if (layers[^1].Operations[^1].Kind == "softmax")
            return output;
        int classes = pass.Network.Info.Output.Size;
        for (int row = 0; row < output.Length / classes; row++)
        {
            var values = output.AsSpan(row * classes, classes);
            float max = float.NegativeInfinity;
            foreach (float v in values)
                max = Math.Max(max, v);
            double total = 0;
            for (int j = 0; j < classes; j++)
                total += values[j] = MathF.Exp(values[j] - max);
            for (int j = 0; j < classes; j++)
                values[j] = (float)(values[j] / total);
        }
        return output;
    }
}
