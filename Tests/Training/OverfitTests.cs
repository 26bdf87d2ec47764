using System;
using System.Linq;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>The whole training loop, judged by what it must be able to do: memorise a fixed batch.</summary>
public class OverfitTests
{
    /// <summary>
    /// 64 generated 28x28 images in 10 classes: each class a bright bar at its own place and angle,
    /// on noise strong enough that no two images are alike.
    /// </summary>
    private static (float[] Images, int[] Labels) Batch()
    {
        const int count = 64, size = 28;
        var random = new Random(42);
        var images = new float[count * size * size];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = labels[n] = n % 10;
            double angle = Math.PI * label / 10, offset = (label % 3 - 1) * 4;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    double distance = Math.Abs((x - 13.5) * Math.Sin(angle) - (y - 13.5) * Math.Cos(angle) - offset);
                    images[(n * size + y) * size + x] = (float)((distance < 2 ? 1.0 : 0.0) + 0.5 * (random.NextDouble() * 2 - 1));
                }
        }
        return (images, labels);
    }

    /// <summary>On the machine's best device: a GPU where there is one, the CPU backend otherwise (a few seconds).</summary>
    [Fact]
    public void MiniAlexNetMemorisesAFixedBatchOf64()
    {
        var (images, labels) = Batch();
        using var device = Device.Open("auto");
        using var net = new MiniAlexNet(device, seed: 1);
        using var trainer = new MiniAlexNet.Trainer(net, seed: 2);
        var first = trainer.Evaluate(images, labels);
        StepResult result = default;
        int steps = 0;
        for (; steps < 300; steps++)
        {
            trainer.Train(images, labels, learningRate: 0.01f);
            if (steps % 10 == 9 && (result = trainer.Evaluate(images, labels)).Top1 == 64 && result.Loss < 0.05)
                break;
        }
        Assert.True(first.Loss > 2.0, $"the untrained loss {first.Loss} should be near ln 10 = 2.3");
        Assert.True(result.Top1 == 64 && result.Loss < 0.05,
            $"after {steps + 1} steps: loss {result.Loss:0.0000}, top-1 {result.Top1}/64 (started at {first.Loss:0.0000}, {first.Top1}/64)");
        Assert.Equal(64, result.Top5);
    }
}
