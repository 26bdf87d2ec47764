using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using System.Globalization;
using System.IO;
using System.Threading;
using NetGen.Data;
using NetGen.CommandLine.Reports;

namespace NetGen.CommandLine;

/// <summary>
/// <c>netgen train [network] [--data PATH] [--epochs N] [--batch B] [--lr R] [--optimizer sgd|adam|adamw] [--momentum M] [--nesterov] [--beta1 B] [--beta2 B] [--eps E] [--weight-decay W] [--decay-all on|off] [--label-smoothing E] [--schedule plateau|step|cosine|onecycle] [--step-size E] [--gamma G] [--min-lr R] [--warmup E] [--pad P] [--flip on|off] [--seed S] [--device D] [--out DIR] [--resume] [--strict] [--clip-norm C]</c>:
/// trains on a dataset with a progress bar, validates every epoch, and keeps checkpoints, metrics and curves in DIR.
/// With no data it trains MiniAlexNet on Fashion-MNIST: Debian's copy when installed, else the sample shipped here.
/// </summary>
internal static class TrainCommand
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> puts the dataset.</summary>
    public const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>The Fashion-MNIST sample that ships beside the executable (see data/README.md).</summary>
    public static string Sample => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-sample");

    /// <summary>Every option of <c>train</c>; those without a default fall back to the network's declared training defaults.</summary>
    private sealed class Arguments
    {
        public Argument<string> Network { get; } = Options.Network(optional: true);

        public Option<string> Data { get; } = Options.Path("--data", "an image folder (one folder per class, or train/ and val/ holding them) or IDX files " +
            $"[default: Fashion-MNIST at {FashionMnist} when installed, else the 4,000-image sample shipped with NetGen]", "PATH");

        public Option<int?> Epochs { get; } = Options.PositiveInt("--epochs", "passes over the training images [default: the network's [TrainingDefaults], else the paper's 90]");

        public Option<int?> Batch { get; } = Options.PositiveInt("--batch", "images per step [default: declared, else 128]", "B");

        public Option<float?> LearningRate { get; } = Options.Positive("--lr", "the starting learning rate [default: declared, else 0.01]", "R");

        public Option<string> Optimizer { get; } = Options.Choice("--optimizer",
            "the update rule, as torch.optim defines it: sgd (with momentum, the paper's), adam, or adamw (Adam with decoupled weight decay) [default: declared, else sgd]",
            ["sgd", "adam", "adamw"]);

        public Option<float?> Momentum { get; } = Options.NonNegative("--momentum", "SGD momentum [default: declared, else 0.9]", "M");

        public Option<bool> Nesterov { get; } = Options.Flag("--nesterov", "SGD with Nesterov momentum [default: declared, else off]");

        public Option<float?> Beta1 { get; } = Options.NonNegative("--beta1", "Adam's first-moment decay, below 1 [default: declared, else 0.9]", "B");

        public Option<float?> Beta2 { get; } = Options.NonNegative("--beta2", "Adam's second-moment decay, below 1 [default: declared, else 0.999]", "B");

        public Option<float?> Epsilon { get; } = Options.NonNegative("--eps", "Adam's epsilon, added to the root of the second moment [default: declared, else 1e-8]", "E");

        public Option<float?> WeightDecay { get; } = Options.NonNegative("--weight-decay", "weight decay: L2 for sgd and adam, decoupled for adamw [default: declared, else 0.0005]", "W");

        public Option<string> DecayAll { get; } = Options.Switch("--decay-all",
            "weight decay on every parameter (on, the paper's rule), or on weights alone, leaving biases and batch normalisation's parameters undecayed (off) [default: declared, else off]");

        public Option<float?> LabelSmoothing { get; } = Options.NonNegative("--label-smoothing", "the share of each target spread evenly over the classes [default: declared, else 0]", "E");

        public Option<int?> Patience { get; } = Options.PositiveInt("--patience", "epochs without a better validation error before the learning rate is divided by 10 [default: declared, else 2]", "P");

        public Option<float?> Threshold { get; } = Options.NonNegative("--threshold", "how much lower (a fraction: 0.002 is 0.2 points) a validation error must be to count as better [default: declared, else 0]", "T");

        public Option<string> Schedule { get; } = Options.Choice("--schedule",
            "how the learning rate moves, as torch.optim.lr_scheduler does: plateau (divided by 10 when the validation error stalls, the paper's; ReduceLROnPlateau), " +
            "step (StepLR: times --gamma every --step-size epochs), cosine (linear warm-up, then cosine annealing to --min-lr, per step), " +
            "or onecycle (OneCycleLR: up from lr/25 over the first 30% of the steps, then down to lr/25e4, per step; no --warmup) [default: declared, else plateau]",
            ["plateau", "step", "cosine", "onecycle"], suggest: true);

        public Option<int?> StepSize { get; } = Options.PositiveInt("--step-size", "step: epochs between two drops [default: declared, else 30]", "E");

        public Option<float?> Gamma { get; } = Options.Positive("--gamma", "step: the factor of each drop [default: declared, else 0.1]", "G");

        public Option<float?> MinLr { get; } = Options.NonNegative("--min-lr", "cosine: the rate it ends at [default: declared, else 0]", "R");

        public Option<int?> Warmup { get; } = Options.Count("--warmup", "the first epochs of the run, whatever the schedule: plateau keeps the starting learning rate through them whatever the validation error does; " +
            "step and cosine raise it linearly to the learning rate over their steps (lr (t+1)/W at step t of W) [default: declared, else 0]");

        public Option<int?> Pad { get; } = Options.Count("--pad", "zero padding around each image before its random crop [default: declared, else 0]", "P");

        public Option<string> Flip { get; } = Options.Switch("--flip", "random horizontal reflections [default: declared, else on]");

        public Option<ulong> Seed { get; } = Options.Seed("the seed of the initial weights, the shuffles, the crops and the dropout masks", 1);

        public Option<string> Device { get; } = Options.Device();

        public Option<int> Devices { get; } = Options.Devices();

        public Option<string> Out { get; } = Options.Path("--out", "the run's folder: checkpoints, metrics.csv, curves.png [default: runs/<network>-<time>]", "DIR");

        public Option<bool> Resume { get; } = Options.Flag("--resume", "continue the run in --out from its last.safetensors, to exactly the weights of an uninterrupted run");

        public Option<int?> SaveEvery { get; } = Options.PositiveInt("--save-every", "also save last.safetensors every STEPS steps, not only at the end of each epoch", "STEPS");

        public Option<bool> TenCrop { get; } = Options.Flag("--ten-crop", "validate on the paper's ten crops instead of the centre crop");

        public Option<float?> ClipNorm { get; } = Options.Positive("--clip-norm", "scale each step's gradients to at most this global L2 norm", "C");

        public Option<bool> Strict { get; } = StrictOption();

        public Command Command()
        {
            var command = new Command("train", "Train a network with a progress bar; validate every epoch; keep last.safetensors, best.safetensors, metrics.csv and curves.png in the run's folder. " +
                "Every setting not given here comes from the network's [TrainingDefaults], else the paper's; train says which at the start.")
            {
                Network, Data, Epochs, Batch, LearningRate, Optimizer, Momentum, Nesterov, Beta1, Beta2, Epsilon, WeightDecay, DecayAll, LabelSmoothing, Schedule, Patience, Threshold, StepSize, Gamma, MinLr, Warmup, Pad, Flip, Seed,
                Device, Devices, Out, Resume, SaveEvery, TenCrop, ClipNorm, Strict,
            };
            command.SetAction(Run);
            return Verbs.WithExamples(command, "train", "train minialexnet --epochs 5 --batch 64", "train flowers --data photos --out runs/flowers",
                "train flowers --data photos --out runs/flowers --resume");
        }

        private int Run(ParseResult parsed) => TrainCommand.Run(this, parsed);
    }

    public static Command Create() => new Arguments().Command();

    /// <summary><c>--strict</c>: an unreadable image is an error rather than skipped with a warning.</summary>
    public static Option<bool> StrictOption() => Options.Flag("--strict", "stop at the first unreadable or damaged image instead of skipping it with a warning");

    private static int Run(Arguments a, ParseResult parsed)
    {
        string name = parsed.GetValue(a.Network) ?? NamedNetworks.Default();
        var entry = NamedNetworks.Get(name);
        var info = entry.Info;
        var declared = entry.Defaults;
        var defaults = TrainingOptions.From(declared);
        var sources = new Sources(info.Name, declared);
        var givenOptimizer = OptimiserState.Parse(parsed.GetValue(a.Optimizer));
        var optimizer = sources.Take("optimizer", nameof(TrainingDefaultsAttribute.Optimizer), givenOptimizer, defaults.Optimizer);
        bool sgd = optimizer == NetGen.Optimizer.Sgd;
        // A setting of the other rule would be ignored without a word: refuse it, as torch.optim refuses an argument it does not take.
        foreach (var (option, given, rule) in new (Option, bool, bool)[]
        {
            (a.Momentum, parsed.GetValue(a.Momentum) is not null, true), (a.Nesterov, parsed.GetValue(a.Nesterov), true),
            (a.Beta1, parsed.GetValue(a.Beta1) is not null, false), (a.Beta2, parsed.GetValue(a.Beta2) is not null, false), (a.Epsilon, parsed.GetValue(a.Epsilon) is not null, false),
        })
            if (given && rule != sgd)
                throw new UsageException($"{option.Name} is {(rule ? "SGD's" : "Adam's")}, and the optimizer is {OptimiserState.Name(optimizer)}");
        var givenSchedule = LearningRates.Parse(parsed.GetValue(a.Schedule));
        var schedule = sources.Take("schedule", nameof(TrainingDefaultsAttribute.Schedule), givenSchedule, defaults.Schedule,
            listed: givenSchedule is not null || declared?.Declares(nameof(TrainingDefaultsAttribute.Schedule)) == true);
        // A setting of another schedule would be ignored without a word: refuse it too.
        foreach (var (option, given, owner) in new (Option, bool, NetGen.Schedule[])[]
        {
            (a.Patience, parsed.GetValue(a.Patience) is not null, [NetGen.Schedule.Plateau]), (a.Threshold, parsed.GetValue(a.Threshold) is not null, [NetGen.Schedule.Plateau]),
            (a.StepSize, parsed.GetValue(a.StepSize) is not null, [NetGen.Schedule.Step]), (a.Gamma, parsed.GetValue(a.Gamma) is not null, [NetGen.Schedule.Step]),
            (a.MinLr, parsed.GetValue(a.MinLr) is not null, [NetGen.Schedule.Cosine]),
            (a.Warmup, parsed.GetValue(a.Warmup) is not null, [NetGen.Schedule.Plateau, NetGen.Schedule.Step, NetGen.Schedule.Cosine]),
        })
            if (given && !owner.Contains(schedule))
                throw new UsageException(option == a.Warmup
                    ? "--warmup is not onecycle's, which rises over its first 30% of steps itself (OneCycleLR's pct_start)"
                    : $"{option.Name} is the {LearningRates.Name(owner[0])} schedule's, and the schedule is {LearningRates.Name(schedule)}");
        bool plateau = schedule == NetGen.Schedule.Plateau;
        var trainingOptions = defaults with
        {
            Epochs = sources.Take("epochs", nameof(TrainingDefaultsAttribute.Epochs), parsed.GetValue(a.Epochs), defaults.Epochs),
            BatchSize = sources.Take("batch", nameof(TrainingDefaultsAttribute.BatchSize), parsed.GetValue(a.Batch), defaults.BatchSize),
            LearningRate = sources.Take("learning rate", nameof(TrainingDefaultsAttribute.LearningRate), parsed.GetValue(a.LearningRate), defaults.LearningRate),
            Optimizer = optimizer,
            Momentum = sources.Take("momentum", nameof(TrainingDefaultsAttribute.Momentum), parsed.GetValue(a.Momentum), defaults.Momentum, listed: sgd),
            Nesterov = sources.Take("nesterov", nameof(TrainingDefaultsAttribute.Nesterov), parsed.GetValue(a.Nesterov) ? true : null, defaults.Nesterov, listed: sgd),
            Beta1 = sources.Take("beta1", nameof(TrainingDefaultsAttribute.Beta1), parsed.GetValue(a.Beta1), defaults.Beta1, listed: !sgd),
            Beta2 = sources.Take("beta2", nameof(TrainingDefaultsAttribute.Beta2), parsed.GetValue(a.Beta2), defaults.Beta2, listed: !sgd),
            Epsilon = sources.Take("eps", nameof(TrainingDefaultsAttribute.Epsilon), parsed.GetValue(a.Epsilon), defaults.Epsilon, listed: !sgd),
            WeightDecay = sources.Take("weight decay", nameof(TrainingDefaultsAttribute.WeightDecay), parsed.GetValue(a.WeightDecay), defaults.WeightDecay),
            // The paper decays every parameter; today's recipes spare biases and normalisation, and so does NetGen unless told.
            DecayAll = sources.Take("decay of biases and normalisation", nameof(TrainingDefaultsAttribute.DecayAll), parsed.IsOn(a.DecayAll), defaults.DecayAll,
                listed: parsed.GetValue(a.WeightDecay) is not 0f, fallbackSource: Sources.NetGens),
            Schedule = schedule,
            Patience = sources.Take("patience", nameof(TrainingDefaultsAttribute.Patience), parsed.GetValue(a.Patience), defaults.Patience, listed: plateau),
            Threshold = sources.Take("threshold", nameof(TrainingDefaultsAttribute.Threshold), parsed.GetValue(a.Threshold), (float)defaults.Threshold, listed: plateau),
            StepSize = sources.Take("step size", nameof(TrainingDefaultsAttribute.StepSize), parsed.GetValue(a.StepSize), defaults.StepSize, listed: schedule == NetGen.Schedule.Step),
            Gamma = sources.Take("gamma", nameof(TrainingDefaultsAttribute.Gamma), parsed.GetValue(a.Gamma), defaults.Gamma, listed: schedule == NetGen.Schedule.Step),
            MinLearningRate = sources.Take("min lr", nameof(TrainingDefaultsAttribute.MinLearningRate), parsed.GetValue(a.MinLr), defaults.MinLearningRate, listed: schedule == NetGen.Schedule.Cosine),
            LabelSmoothing = sources.Take("label smoothing", nameof(TrainingDefaultsAttribute.LabelSmoothing), parsed.GetValue(a.LabelSmoothing), defaults.LabelSmoothing),
            // One-cycle has its own rise: a warm-up the network declares for its other schedules is left out.
            Warmup = schedule == NetGen.Schedule.OneCycle ? 0 : sources.Take("warm-up", nameof(TrainingDefaultsAttribute.Warmup), parsed.GetValue(a.Warmup), defaults.Warmup),
            Seed = parsed.GetValue(a.Seed),
            TenCrop = parsed.GetValue(a.TenCrop),
            SaveEverySteps = parsed.GetValue(a.SaveEvery) ?? 0,
            Devices = parsed.GetValue(a.Devices),
            ClipNorm = parsed.GetValue(a.ClipNorm) ?? 0f,
        };
        var declaredPreprocessing = Preprocessing.For(declared, info.Input);
        var preprocessing = declaredPreprocessing with
        {
            Pad = sources.Take("padding", nameof(TrainingDefaultsAttribute.Pad), parsed.GetValue(a.Pad), declaredPreprocessing.Pad),
            Flip = sources.Take("flips", nameof(TrainingDefaultsAttribute.Flip), parsed.IsOn(a.Flip), declaredPreprocessing.Flip),
        };
        string dataPath = parsed.GetValue(a.Data) ?? DefaultData();
        string directory = parsed.GetValue(a.Out) ?? Path.Combine("runs", $"{info.Name.ToLowerInvariant()}-{DateTime.Now:yyyyMMdd-HHmmss}");
        bool resume = parsed.GetValue(a.Resume);

        // Under mpirun each process trains on its share of every batch (data-parallel); rank 0 alone prints and writes.
        using var communicator = Distributed.Communicator.FromEnvironment();
        if (communicator.Size > 1 && trainingOptions.Devices > 1)
            throw new UsageException($"--devices {trainingOptions.Devices} splits the network over this process's devices; under mpirun (-np {communicator.Size}) the processes train data-parallel: leave --devices out");
        var parallel = new Distributed.DataParallel(communicator);
        parallel.Share(trainingOptions.BatchSize); // a batch that does not cut into equal shares is refused before anything runs
        if (!parallel.IsRoot)
            Console.SetOut(TextWriter.Null);
        var unreadable = Unreadable(parsed.GetValue(a.Strict));
        var splits = DataSplits.Open(dataPath, info.Input.Channels, unreadable);
        using var device = Device.Open(parsed.GetValue(a.Device)!);
        using var network = entry.Create(device, trainingOptions.Seed);
        var run = new TrainingRun(network, splits, trainingOptions, preprocessing, directory) { RequiredOptimizer = givenOptimizer, Parallel = parallel };
        Console.WriteLine($"{info.Name} ({info.DescribeParameters()}) on {device}" +
            (communicator.Size > 1 ? $", data-parallel over {communicator.Size} processes ({communicator.Transport}): each takes {parallel.Share(trainingOptions.BatchSize)} images of every batch of {trainingOptions.BatchSize}" : ""));
        Console.WriteLine($"data: {splits.Train.Source}: {splits.Train.Count:N0} training images, {splits.Validation.Count:N0} validation images ({splits.Validation.Source}), {splits.Train.Classes.Count} classes");
        Console.WriteLine($"run:  {directory}{(resume ? " (resuming)" : "")}; batch {trainingOptions.BatchSize}, learning rate {trainingOptions.LearningRate.ToString(CultureInfo.InvariantCulture)}, " +
            $"{DescribeOptimizer(trainingOptions)}, " +
            $"label smoothing {trainingOptions.LabelSmoothing.ToString(CultureInfo.InvariantCulture)}, " +
            $"{DescribeSchedule(trainingOptions)}; {Plural(trainingOptions.Epochs, "epoch")}" +
            (resume ? "" : $"; crops padded by {preprocessing.Pad}, flips {(preprocessing.Flip ? "on" : "off")}"));
        if (resume)
            Console.WriteLine("      a resumed run keeps the settings saved in its checkpoint");
        else
            foreach (string line in sources.Describe())
                Console.WriteLine($"      {line}");
        if (!resume && sources.SourceOf("epochs") == Sources.Paper)
            Console.WriteLine($"      {info.Name} declares no Epochs: {trainingOptions.Epochs} is the paper's ImageNet schedule; set --epochs N, or [TrainingDefaults(Epochs = N)] on the class");
        if (!resume)
            Console.WriteLine($"      {LeftOut(splits.Train.Count, trainingOptions.BatchSize)}");

        bool top5 = ClassCount.HasTop5(info.Output.Size);
        bool dropout = info.Layers.Any(l => l.Operations.Any(o => o.Kind == "dropout"));
        bool augmented = preprocessing.Pad > 0 || preprocessing.Flip || preprocessing.Size > info.Input.Height
            || (preprocessing.ColourStd > 0 && info.Input.Channels == 3);
        var bar = new ProgressBar();
        run.Progress += p => bar.Update(
            p.Phase == "statistics" ? "mean image" : $"epoch {p.Epoch}/{p.Epochs} {p.Phase}", p.Done, p.Total, "images",
            p.Phase == "train" ? $"loss {p.Loss:0.0000}" : "");
        run.EpochCompleted += history =>
        {
            bar.Finish();
            var e = history[^1];
            long trained = splits.Train.Count / run.Options.BatchSize * (long)run.Options.BatchSize; // a resumed run's own batch
            Console.WriteLine($"epoch {e.Epoch}: lr {EpochRates(run.Options, e, splits.Train.Count / run.Options.BatchSize)}, train loss {e.TrainLoss:0.0000}, " +
                $"train error {e.TrainError:P2}, val loss {e.ValidationLoss:0.0000}, val top-1 error {e.ValidationTop1Error:P2}" +
                (top5 ? $", top-5 error {e.ValidationTop5Error:P2}" : "") +
                $" ({e.Seconds:0} s, {ProgressBar.Rate(e.ImagesPerSecond)} images/s, {trained:N0} of {splits.Train.Count:N0} images)");
            Curves.Write(Path.Combine(directory, "curves.png"), info.Name, history, Curves.Conditions(dropout, augmented, run.Options.LabelSmoothing));
        };

        // Ctrl+C finishes the step under way and saves where the run stands; a second Ctrl+C kills it.
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancel.IsCancellationRequested)
                return;
            e.Cancel = true;
            cancel.Cancel();
            Console.Error.WriteLine("\nnetgen: stopping after this step; the run will be saved to resume with --resume");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var outcome = run.Run(resume, cancel.Token);
            bar.Finish();
            if (outcome.Best is { } best)
                Console.WriteLine($"best: epoch {best.Epoch}, validation top-1 accuracy {1 - best.ValidationTop1Error:P2}" +
                    (top5 ? $", top-5 {1 - best.ValidationTop5Error:P2}" : "") + $" -> {Path.Combine(directory, TrainingRun.BestFile)}");
            if (unreadable.Files.Count > 0)
                Console.WriteLine($"skipped {Plural(unreadable.Files.Count, "unreadable image")}, named in the warnings above; --strict makes one an error");
            if (communicator.Size > 1 && outcome.History.Count > 0)
                Console.WriteLine($"replicas: the {communicator.Size} processes hold the same weights, bit for bit (XxHash64 {run.ReplicaHash:x16})");
            if (!outcome.Completed)
                Console.WriteLine($"interrupted; continue with: {Verbs.ProgramName} train {name} --data {dataPath} --out {directory} --resume");
            return outcome.Completed ? Cli.Success : Cli.Interrupted;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The policy for unreadable images: skipped with a warning on standard error, or an error with <c>--strict</c>.</summary>
    public static UnreadableImages Unreadable(bool strict)
    {
        var unreadable = new UnreadableImages { Strict = strict };
        unreadable.Skipped += (path, reason) => Console.Error.WriteLine($"\nnetgen: warning: {path}: {reason}; skipped");
        return unreadable;
    }

    /// <summary>What an epoch leaves out: the remainder after the last full batch, a different one each epoch, since every epoch reshuffles.</summary>
    public static string LeftOut(int images, int batch)
    {
        int steps = images / batch, left = images - steps * batch;
        string trains = $"each epoch trains {steps * (long)batch:N0} of the {images:N0} training images in {Plural(steps, "batch", "batches")} of {batch}";
        if (left == 0)
            return trains;
        string text = $"{trains}; the other {left:N0} sit the epoch out (a different {left:N0} each epoch, as every epoch reshuffles)";
        // Worth a suggestion when a tenth or more of the data is left out: the largest batch up to this one that divides it.
        int divisor = Enumerable.Range(1, batch).Reverse().First(b => images % b == 0);
        return left * 10 >= images && divisor > 1 ? $"{text}; --batch {divisor} would train on all of them" : text;
    }

    /// <summary>
    /// The optimiser and its settings, as the run line gives them: "optimizer sgd, momentum 0.9, weight decay 0.0005",
    /// "optimizer adamw, betas 0.9 and 0.999, eps 1E-08, weight decay 0.01 (decoupled)".
    /// </summary>
    public static string DescribeOptimizer(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        static string N(float value) => value.ToString(CultureInfo.InvariantCulture);
        string rule = options.Optimizer == NetGen.Optimizer.Sgd
            ? $"momentum {N(options.Momentum)}{(options.Nesterov ? " (Nesterov)" : "")}"
            : $"betas {N(options.Beta1)} and {N(options.Beta2)}, eps {N(options.Epsilon)}";
        string decay = options.Optimizer switch { NetGen.Optimizer.Adam => " (L2)", NetGen.Optimizer.AdamW => " (decoupled)", _ => "" };
        string scope = options.DecayAll || options.WeightDecay == 0 ? "" : " on weights only";
        return $"optimizer {OptimiserState.Name(options.Optimizer)}, {rule}, weight decay {N(options.WeightDecay)}{decay}{scope}";
    }

    /// <summary>
    /// The schedule, as the run line gives it: "divided by 10 after 3 epochs without a better validation error, not before the end of epoch 12",
    /// "step schedule (StepLR): times 0.1 every 30 epochs", "cosine schedule to 0 per step, after a linear warm-up of 5 epochs", ...
    /// </summary>
    public static string DescribeSchedule(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        static string N(float value) => value.ToString(CultureInfo.InvariantCulture);
        string warmup = options.Warmup > 0 ? $", after a linear warm-up of {Plural(options.Warmup, "epoch")}" : "";
        return options.Schedule switch
        {
            NetGen.Schedule.Step => $"step schedule (StepLR): times {N(options.Gamma)} every {Plural(options.StepSize, "epoch")}{warmup}",
            NetGen.Schedule.Cosine => $"cosine schedule to {N(options.MinLearningRate)} per step{warmup}",
            NetGen.Schedule.OneCycle => $"one-cycle schedule (OneCycleLR) per step: up from {N((float)(options.LearningRate / LearningRates.OneCycleDiv))} over the first 30% of the steps, " +
                $"then down to {N((float)(options.LearningRate / LearningRates.OneCycleDiv / LearningRates.OneCycleFinalDiv))}, the momentum not cycled",
            _ => $"divided by 10 after {Plural(options.Patience, "epoch")} without a better validation error" +
                (options.Warmup > 0 ? $", not before the end of epoch {options.Warmup}" : ""),
        };
    }

    /// <summary>An epoch's rate for its line: the one rate under plateau, else the first step's and the last step's ("0.05 to 0.0482").</summary>
    public static string EpochRates(TrainingOptions options, EpochRecord epoch, int stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(epoch);
        string last = epoch.LearningRate.ToString("G3", CultureInfo.InvariantCulture);
        if (!LearningRates.PerStep(options.Schedule) || stepsPerEpoch <= 0)
            return last;
        float first = LearningRates.At(options, (long)(epoch.Epoch - 1) * stepsPerEpoch, stepsPerEpoch);
        return $"{first.ToString("G3", CultureInfo.InvariantCulture)} to {last}";
    }

    /// <summary>"MiniAlexNet's", "Flowers'".</summary>
    public static string Possessive(string name) => name.EndsWith('s') ? name + "'" : name + "'s";

    /// <summary>"1 epoch", "20 epochs".</summary>
    public static string Plural(long count, string one, string? many = null) => $"{count:N0} {(count == 1 ? one : many ?? one + "s")}";

    /// <summary>Where each training setting came from, for the lines <c>train</c> starts with.</summary>
    private sealed class Sources(string network, TrainingDefaultsAttribute? declared)
    {
        private readonly List<(string Setting, string Source)> taken = [];

        public const string CommandLine = "the command line", Paper = "the paper's defaults", NetGens = "NetGen's defaults";

        /// <summary>
        /// The setting's value; <paramref name="listed"/> when it bears on this run (one optimiser's settings do not on another's);
        /// <paramref name="fallbackSource"/> names where an undeclared default comes from when it is not the paper's.
        /// </summary>
        public T Take<T>(string setting, string property, T? given, T fallback, bool listed = true, string fallbackSource = Paper) where T : struct
        {
            if (listed)
                taken.Add((setting, given is not null ? CommandLine : declared?.Declares(property) == true ? $"{Possessive(network)} [TrainingDefaults]" : fallbackSource));
            return given ?? fallback;
        }

        public string SourceOf(string setting) => taken.Single(t => t.Setting == setting).Source;

        /// <summary>One line per source: "from the command line: epochs, batch".</summary>
        public IEnumerable<string> Describe() =>
            taken.GroupBy(t => t.Source).Select(g => $"from {g.Key}: {string.Join(", ", g.Select(t => t.Setting))}");
    }

    private static string DefaultData() => IdxDataset.IsIdxFolder(FashionMnist) ? FashionMnist : Sample;
}
