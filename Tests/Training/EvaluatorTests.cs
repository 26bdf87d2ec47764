using System;
using System.Linq;
using NetGen.Data;
using NetGen.Networks;
using NetGen.CommandLine;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>Whole-split measurements against the same numbers worked out image by image.</summary>
[Collection(AcceleratorCollection.Name)]
public class EvaluatorTests(AcceleratorFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LossAndAccuracyAreTheMeansOverImagesRankedByLogitsOrCropAveragedProbabilities(bool tenCrop)
    {
        var all = DataSplits.Open(TrainCommand.Sample, 1).Validation;
        var dataset = new DatasetSubset(all, Enumerable.Range(0, 37).ToArray(), "37 images");
        var statistics = DataStatistics.Compute(dataset, new Preprocessing(28, 0, true, 0, Normalise: true));
        var augmenter = new Augmenter(statistics, MiniAlexNet.Description.Input);
        using var network = new MiniAlexNet(fixture.CpuDevice, seed: 5);
        using var pass = network.CreateForwardPass(16); // 37 images: two full batches and a short one

        var result = Evaluator.Evaluate(pass, dataset, augmenter, tenCrop);

        // By hand: every crop of every image through the network one image at a time, its logits read before the softmax;
        // one crop ranked and scored by its logits, several by the plain mean of their probabilities (double, from the logits).
        // The rank is torch.sort's (descending, stable) written out here, apart from NetGen.Ranking: NaN first, ties to the lower class.
        var crops = tenCrop ? augmenter.TenCrops : [augmenter.Centre];
        using var single = network.CreateForwardPass(1);
        double loss = 0;
        int top1 = 0, top5 = 0;
        for (int i = 0; i < dataset.Count; i++)
        {
            var square = augmenter.Square(dataset.Read(i));
            var mean = new double[10];
            float[] logits = [];
            foreach (var crop in crops)
            {
                var input = new float[28 * 28];
                augmenter.Write(square, crop, default, input);
                single.Run(input);
                logits = single.Read("fc8");
                double max = logits.Max(), sum = logits.Sum(z => Math.Exp(z - max));
                for (int j = 0; j < 10; j++)
                    mean[j] += Math.Exp(logits[j] - max) / sum / crops.Count;
            }
            int label = dataset.Label(i), rank;
            if (tenCrop)
            {
                rank = Enumerable.Range(0, 10).Count(j => Before(mean[j], j, mean[label], label));
                loss -= Math.Log(mean[label]);
            }
            else
            {
                rank = Enumerable.Range(0, 10).Count(j => Before(logits[j], j, logits[label], label));
                double max = logits.Max();
                loss += max + Math.Log(logits.Sum(z => Math.Exp(z - max))) - logits[label];
            }
            top1 += rank == 0 ? 1 : 0;
            top5 += rank < 5 ? 1 : 0;
        }
        Assert.Equal(37, result.Images);
        Assert.Equal(loss / 37, result.Loss, 5);
        Assert.Equal(top1 / 37.0, result.Top1Accuracy, 12);
        Assert.Equal(top5 / 37.0, result.Top5Accuracy, 12);
    }

    /// <summary>Whether class j scoring a comes before class k scoring b in torch.sort(descending=True, stable=True).</summary>
    private static bool Before(double a, int j, double b, int k)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
            return double.IsNaN(a) && (!double.IsNaN(b) || j < k);
        return a > b || (a == b && j < k);
    }
}
