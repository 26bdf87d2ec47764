using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using NetGen.Data;

namespace NetGen.CommandLine;

/// <summary>
/// What eval, classify, filters and similar share: a network with a run's weights loaded, and the
/// run's data statistics (mean image, classes, preprocessing) from <c>data.safetensors</c> beside the weights.
/// </summary>
internal sealed class TrainedRun : IDisposable
{
    private TrainedRun(Device device, Network network, DataStatistics statistics)
    {
        Device = device;
        Network = network;
        Statistics = statistics;
        Augmenter = new Augmenter(statistics, network.Info.Input);
    }

    public Device Device { get; }

    public Network Network { get; }

    public DataStatistics Statistics { get; }

    public Augmenter Augmenter { get; }

    /// <summary>The arguments that name a trained run: the network, <c>--weights</c>, <c>--stats</c> and <c>--device</c>.</summary>
    public sealed class Arguments
    {
        public Argument<string> Network { get; } = Options.Network();

        public Option<string> Weights { get; } = Options.Path("--weights", "the trained weights (a run's best.safetensors or last.safetensors)", "W.safetensors", required: true);

        public Option<string> Statistics { get; } = Options.Path("--stats", "the run's data statistics (mean image, class names) [default: data.safetensors beside the weights]", "S.safetensors");

        public Option<string> Device { get; } = Options.Device();

        /// <summary>Adds the network first, then the options, to <paramref name="command"/>.</summary>
        public Command AddTo(Command command)
        {
            command.Arguments.Insert(0, Network);
            command.Options.Add(Weights);
            command.Options.Add(Statistics);
            command.Options.Add(Device);
            return command;
        }

        public TrainedRun Open(ParseResult parsed) =>
            TrainedRun.Open(parsed.GetValue(Network)!, parsed.GetValue(Weights)!, parsed.GetValue(Statistics), parsed.GetValue(Device)!);
    }

    /// <summary>Opens network <paramref name="name"/> with the weights in <paramref name="weights"/> on device <paramref name="deviceKind"/>.</summary>
    public static TrainedRun Open(string name, string weights, string? statisticsPath, string deviceKind)
    {
        if (!File.Exists(weights))
            throw new FileNotFoundException($"{weights}: no such file{(Directory.Exists(weights) ? " (it is a folder; name the .safetensors file in it)" : "")}.", weights);
        statisticsPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(weights))!, DataStatistics.FileName);
        if (!File.Exists(statisticsPath))
            throw new FileNotFoundException($"{statisticsPath}: no data statistics (mean image, class names) beside {weights}; " +
                "netgen train writes them into the run's directory, or name them with --stats.", statisticsPath);
        var statistics = DataStatistics.Load(statisticsPath);
        var device = Device.Open(deviceKind);
        try
        {
            var network = NamedNetworks.Get(name).Create(device, 0);
            network.WriteParameters(Checkpoint.Load(weights, network.Info).Parameters);
            if (statistics.Classes.Count != network.Info.Output.Size)
                throw new InvalidDataException($"{statisticsPath}: names {statistics.Classes.Count} classes; {network.Info.Name} has {network.Info.Output.Size} outputs.");
            return new TrainedRun(device, network, statistics);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the image an argument names: an image file, or <c>train:N</c> / <c>val:N</c> for image N of a
    /// split of the dataset at <c>--data</c>. Returns it brought to the run's square, and a description.
    /// </summary>
    public (RawImage Square, string Name) ReadImage(string argument, Func<DataSplits> data)
    {
        int colon = argument.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && argument[..colon] is "train" or "val" && int.TryParse(argument[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            var splits = data();
            var split = argument[..colon] == "train" ? splits.Train : splits.Validation;
            if (index >= split.Count)
                throw new UsageException($"{argument}: the {argument[..colon]} split has {split.Count} images");
            return (Augmenter.Square(split.Read(index)), $"{argument} ({split.Describe(index)}, {Statistics.Classes[split.Label(index)]})");
        }
        return (Augmenter.Square(ImageFile.Read(argument, Network.Info.Input.Channels)), argument);
    }

    public void Dispose()
    {
        Network.Dispose();
        Device.Dispose();
    }
}
