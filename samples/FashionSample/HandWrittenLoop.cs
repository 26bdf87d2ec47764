using NetGen;
using NetGen.Data;

namespace FashionSample;

/// <summary>
/// Training without the command line, for a program that wants the loop in its own hands: loading
/// data, the augmenter, a training run with progress callbacks, a loop of single steps, saving and
/// loading.
/// </summary>
public static class HandWrittenLoop
{
    public static int Run(string? dataPath)
    {
        // Data: IDX files (MNIST's format) or image folders (root/<class>/<image>), opened by hand
        // here; DataSplits.Open(path, channels) makes the same choice, and holds out every tenth
        // image of a folder of classes alone.
        string path = dataPath ?? Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-sample");
        var splits = IdxDataset.IsIdxFolder(path)
            ? new DataSplits(IdxDataset.Open(path, "train")!, IdxDataset.Open(path, "t10k")!)
            : Directory.Exists(Path.Combine(path, "train"))
                ? new DataSplits(new ImageFolderDataset(Path.Combine(path, "train"), channels: 1), new ImageFolderDataset(Path.Combine(path, "val"), channels: 1))
                : DataSplits.Open(path, channels: 1);
        Console.WriteLine($"{splits.Train.Count:N0} training and {splits.Validation.Count:N0} validation images, classes {string.Join(", ", splits.Train.Classes)}");

        // The [TrainingDefaults] declared on FashionNet, as the generator registered them.
        var defaults = NetworkCatalog.Find(nameof(FashionNet))!.Defaults;
        var preprocessing = Preprocessing.For(defaults, FashionNet.Description.Input);
        using var device = Device.Open("auto");
        string run = Path.Combine(Path.GetTempPath(), $"fashionnet-{Environment.ProcessId}");

        // 1. A whole run as `netgen train` does it (checkpoints, best weights, metrics), with callbacks.
        using (var network = new FashionNet(device, seed: 1))
        {
            var options = TrainingOptions.From(defaults) with { Epochs = 1, Seed = 1 };
            var training = new TrainingRun(network, splits, options, preprocessing, run);
            training.Progress += p =>
            {
                if (p.Done == p.Total)
                    Console.WriteLine($"  {p.Phase}: {p.Done:N0}/{p.Total:N0}{(p.Phase == "train" ? $", loss {p.Loss:0.000}" : "")}");
            };
            training.EpochCompleted += history => Console.WriteLine($"epoch {history[^1].Epoch}: validation top-1 error {history[^1].ValidationTop1Error:P2}");
            training.Run();
        }

        // 2. The same pieces in a loop of one's own: statistics, augmenter, batches, steps, evaluation.
        var statistics = DataStatistics.Compute(splits.Train, preprocessing); // the mean image; the run above saved the same in its folder
        var augmenter = new Augmenter(statistics, FashionNet.Description.Input);
        using var net = new FashionNet(device, seed: 2);
        using var trainer = new FashionNet.Trainer(net, seed: 2);
        using (var batches = Batches.Training(splits.Train, augmenter, batchSize: 64, seed: 2, epoch: 1))
            foreach (var batch in batches)
            {
                var step = trainer.Train(batch.Images, batch.Labels, learningRate: 0.02f);
                if (batch.Number % 20 == 0)
                    Console.WriteLine($"  step {batch.Number}: loss {step.Loss:0.000}, {step.Top1}/{step.Images} right");
            }
        using var pass = net.CreateForwardPass(batchSize: 100);
        var result = Evaluator.Evaluate(pass, splits.Validation, augmenter, tenCrop: false);
        Console.WriteLine($"own loop, one epoch: validation top-1 accuracy {result.Top1Accuracy:P2}");

        // Saving and loading: weights, momentum and step in one safetensors file, PyTorch's names.
        string checkpoint = Path.Combine(run, "own-loop.safetensors");
        trainer.Save(checkpoint, epoch: 1, learningRate: 0.02f);
        using var again = new FashionNet(device, seed: 99);
        using var loader = new FashionNet.Trainer(again);
        loader.Load(checkpoint);
        bool same = again.ReadParameters().AsSpan().SequenceEqual(net.ReadParameters());
        Console.WriteLine($"saved to {checkpoint} and loaded again: {(same ? "the same weights" : "DIFFERENT weights")}");
        return same ? 0 : 1;
    }
}
