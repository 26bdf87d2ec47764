using System;
using System.Linq;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>
/// Holds a network's generated backward kernels (float, on ILGPU's CPU accelerator) to two
/// independent computations in double: the hand-written <see cref="ReferenceNet"/>'s chain rule
/// over every parameter, and central finite differences of its loss on a sample of parameters.
///
/// Tolerances, and why:
/// | what                                         | passes when                                   | why this much                                      |
/// |----------------------------------------------|-----------------------------------------------|----------------------------------------------------|
/// | loss, generated vs reference                 | relative difference under 1e-5                | float sums of at most a few thousand terms         |
/// | each gradient tensor, generated vs reference | max abs difference under 1e-4 * max abs (AlexNet: 1e-3) | float accumulation over the batch and the plane |
/// | sampled parameters, generated vs central FD  | abs difference under 1e-3 * max(abs FD, max abs / 10) + 1e-7 | FD in double with h = 1e-6 is accurate to about 1e-9; the rest is float |
/// | the reference vs FD (checks the checker)     | the same                                      |                                                    |
/// </summary>
internal static class GradientCheck
{
    /// <summary>Uniform weights scaled by 1 / sqrt(fan-in), so every layer passes a signal of order one.</summary>
    public static void Randomise(Network network, int seed)
    {
        foreach (var layer in network.Layers)
        {
            var dims = layer.Weight.Info.Dimensions;
            int fanIn = dims.Skip(1).Aggregate(1, (a, d) => a * d);
            layer.Weight.Write(Numbers.Uniform((int)layer.Weight.Info.Count, seed++, 1.5f / MathF.Sqrt(fanIn)));
            if (layer.Parameters.Any(t => t.Info.Name == layer.Name + ".bias")) // a layer declared Bias = false has none
                layer.Bias.Write(Numbers.Uniform((int)layer.Bias.Info.Count, seed++, 0.2f));
        }
    }

    public static int[] Labels(int batch, int classes, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, batch).Select(_ => random.Next(classes)).ToArray();
    }

    /// <summary>Runs the check; returns the trainer's result for further assertions.</summary>
    /// <param name="reference">Builds the reference for the dropout key the trainer will use.</param>
    public static StepResult Run(Network network, Func<DropoutKey, ReferenceNet> reference, float[] images, int[] labels,
        bool dropout = false, int samples = 6, double tensorTolerance = 1e-4, float smoothing = 0)
    {
        using var trainer = new Trainer(network, seed: 5) { LabelSmoothing = smoothing };
        var key = dropout ? trainer.TrainingKey : DropoutKey.Evaluation;
        var net = reference(key);
        Assert.Equal(smoothing, net.Smoothing, 6);
        var result = trainer.ComputeGradients(images, labels, dropout);
        var generated = trainer.ReadGradients();
        var p = ReferenceNet.ToDouble(network.ReadParameters());
        var x = ReferenceNet.ToDouble(images);
        var (loss, expected, _) = net.Backward(x, labels, p);

        Assert.True(Math.Abs(result.Loss - loss) <= 1e-5 * Math.Abs(loss), $"loss: expected {loss:R}, got {result.Loss:R}");
        var random = new Random(17);
        foreach (var tensor in network.Info.Parameters)
        {
            int offset = (int)tensor.Offset, count = (int)tensor.Count;
            double scale = 0, worst = 0;
            for (int i = 0; i < count; i++)
            {
                scale = Math.Max(scale, Math.Abs(expected[offset + i]));
                worst = Math.Max(worst, Math.Abs(expected[offset + i] - generated[offset + i]));
            }
            Assert.True(scale > 0, $"{tensor.Name}: the reference gradient is zero everywhere, so the check would prove nothing");
            Assert.True(worst <= tensorTolerance * scale, $"{tensor.Name}: generated gradient differs from the reference by {worst:E2}, {worst / scale:E2} of its largest value {scale:E2}");

            // Finite differences on a few parameters: the largest gradient and random ones.
            var chosen = Enumerable.Range(0, samples - 1).Select(_ => random.Next(count))
                .Append(Enumerable.Range(0, count).MaxBy(i => Math.Abs(expected[offset + i]))).Distinct();
            foreach (int i in chosen)
            {
                const double h = 1e-6;
                double saved = p[offset + i];
                p[offset + i] = saved + h;
                double up = net.Loss(x, labels, p);
                p[offset + i] = saved - h;
                double down = net.Loss(x, labels, p);
                p[offset + i] = saved;
                double fd = (up - down) / (2 * h);
                double allowed = 1e-3 * Math.Max(Math.Abs(fd), scale / 10) + 1e-7;
                Assert.True(Math.Abs(expected[offset + i] - fd) <= allowed, $"{tensor.Name}[{i}]: reference {expected[offset + i]:R}, finite difference {fd:R}");
                Assert.True(Math.Abs(generated[offset + i] - fd) <= allowed, $"{tensor.Name}[{i}]: generated {generated[offset + i]:R}, finite difference {fd:R}");
            }
        }
        return result;
    }
}
