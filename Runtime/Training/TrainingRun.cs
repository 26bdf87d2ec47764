using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using NetGen.Data;

namespace NetGen;

/// <summary>Where a run stands, for a progress display.</summary>
/// <param name="Phase"><c>statistics</c> (the mean image), <c>train</c> or <c>validate</c>.</param>
/// <param name="Epoch">The epoch under way (1 for the first).</param>
/// <param name="Epochs">The epochs the run will do.</param>
/// <param name="Done">Images done in this phase.</param>
/// <param name="Total">Images in this phase.</param>
/// <param name="Loss">The epoch's mean training loss so far (training only).</param>
public readonly record struct TrainingProgress(string Phase, int Epoch, int Epochs, long Done, long Total, double Loss);

/// <summary>How a run ended.</summary>
/// <param name="Completed">False when it was interrupted (and saved where it stood).</param>
/// <param name="History">Every finished epoch, resumed sessions included.</param>
/// <param name="Directory">Where its files are.</param>
public sealed record TrainingOutcome(bool Completed, IReadOnlyList<EpochRecord> History, string Directory)
{
    /// <summary>The epoch with the lowest validation top-1 error, or null before the first epoch ends.</summary>
    public EpochRecord? Best => History.Count == 0 ? null : History.MinBy(r => r.ValidationTop1Error);
}

/// <summary>
/// A training run in a directory: computes the data statistics (<c>data.safetensors</c>), trains
/// epoch after epoch on a prefetched, shuffled and augmented stream, validates, divides the
/// learning rate by 10 when validation error stops improving (or sets it before every step under
/// the step, cosine and one-cycle schedules, <see cref="LearningRates"/>), and after every epoch writes
/// <c>last.safetensors</c>, <c>best.safetensors</c> (when it improved) and <c>metrics.csv</c>, each
/// atomically. Everything random is a hash of (seed, epoch, image) or (seed, step), and the
/// checkpoint holds the schedule, the history and the position within the epoch, so a resumed run
/// ends with exactly the weights of an uninterrupted one.
/// </summary>
public sealed class TrainingRun
{
    /// <summary>The checkpoint written after every epoch (and when interrupted).</summary>
    public const string LastFile = "last.safetensors";

    /// <summary>The checkpoint of the epoch with the lowest validation top-1 error.</summary>
    public const string BestFile = "best.safetensors";

    /// <summary>One line per epoch.</summary>
    public const string MetricsFile = "metrics.csv";

    /// <summary>The checkpoint metadata key that holds the run's state as JSON.</summary>
    public const string StateKey = "netgen.run";

    /// <summary>The checkpoint metadata key that holds the class names as a JSON list.</summary>
    public const string ClassesKey = "netgen.classes";

    private readonly Network network;
    private readonly DataSplits data;
    private readonly Preprocessing preprocessing;
    private string savedAt = "the state this run resumed from";

    /// <summary>Prepares a run of <paramref name="network"/> on <paramref name="data"/> in <paramref name="directory"/>.</summary>
    public TrainingRun(Network network, DataSplits data, TrainingOptions options, Preprocessing preprocessing, string directory)
    {
        this.network = network ?? throw new ArgumentNullException(nameof(network));
        this.data = data ?? throw new ArgumentNullException(nameof(data));
        this.preprocessing = preprocessing ?? throw new ArgumentNullException(nameof(preprocessing));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Directory = directory ?? throw new ArgumentNullException(nameof(directory));
        options.Validate();
        preprocessing.Validate(network.Info.Input);
        ClassCount.Ensure(network.Info, data);
    }

    /// <summary>The options in force (a resumed run takes the checkpoint's, less the epoch count).</summary>
    public TrainingOptions Options { get; private set; }

    /// <summary>Where the run's files go.</summary>
    public string Directory { get; }

    /// <summary>
    /// The optimiser the caller asked for outright (<c>--optimizer</c>), or null: a resumed run takes its
    /// checkpoint's, and fails when that is not this one rather than continuing with another than asked.
    /// </summary>
    public Optimizer? RequiredOptimizer { get; init; }

    /// <summary>
    /// The data-parallel job this run is one process of (<see cref="Distributed.Communicator.FromEnvironment"/>
    /// under <c>mpirun</c>); by default a single process. Each process trains on its share of every
    /// batch, the gradients are summed before each update, and only rank 0 writes the run's files and
    /// raises <see cref="EpochCompleted"/>.
    /// </summary>
    public Distributed.DataParallel Parallel { get; init; } = new(Distributed.SingleProcess.Instance);

    /// <summary>
    /// The hash (XxHash64) of the weights at the end of the last epoch, which every process of a
    /// data-parallel job checked it holds too (<see cref="Distributed.DataParallel.CheckReplicas"/>).
    /// </summary>
    public ulong ReplicaHash { get; private set; }

    /// <summary>Raised as images are processed: often, so keep handlers cheap.</summary>
    public event Action<TrainingProgress>? Progress;

    /// <summary>Raised after each epoch's files are written, with the whole history.</summary>
    public event Action<IReadOnlyList<EpochRecord>>? EpochCompleted;

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Epochs"/> epochs are done, or until <paramref name="cancel"/> is
    /// signalled, in which case the step under way finishes and <c>last.safetensors</c> records where it stopped.
    /// With <paramref name="resume"/> the run continues from <c>last.safetensors</c>; without, the directory must not hold a run.
    /// </summary>
    public TrainingOutcome Run(bool resume = false, CancellationToken cancel = default)
    {
        if (!resume)
            MemoryCheck.EnsureFits(network, Parallel.Share(Options.BatchSize), Options.Optimizer); // before the run writes anything
        System.IO.Directory.CreateDirectory(Directory);
        // What a run killed in the middle of a write left behind: the half-written temporary file
        // beside the checkpoint it was to replace (AtomicFile), never the checkpoint itself.
        if (Parallel.IsRoot)
            foreach (var leftover in System.IO.Directory.EnumerateFiles(Directory, "*" + AtomicFile.TemporarySuffix + "*"))
                File.Delete(leftover);
        string lastPath = Path.Combine(Directory, LastFile), dataPath = Path.Combine(Directory, DataStatistics.FileName);
        // A resumed run's optimiser is its checkpoint's, so the checkpoint is read before the trainer is made.
        var checkpoint = resume ? ReadCheckpoint(lastPath) : null;
        RunState? resumed = checkpoint is null ? null : RunState.Read(lastPath, checkpoint.Metadata);
        if (resumed is not null)
        {
            Options = resumed.Options with { Epochs = Options.Epochs, Devices = Options.Devices, ClipNorm = Options.ClipNorm };
            if (RequiredOptimizer is { } required && required != Options.Optimizer)
                throw new InvalidDataException($"{lastPath}: the run trains with {OptimiserState.Name(Options.Optimizer)}, not {OptimiserState.Name(required)}; " +
                    $"a resumed run keeps its optimizer and its moments: resume without --optimizer, or start a new run.");
        }
        using var trainer = Options.Devices > 1
            ? new PartitionedTrainer(network, Options.Devices, Options.Seed, Options.Optimizer, Options.Momentum, Options.WeightDecay)
            : new Trainer(network, Options.Seed, Options.Optimizer, Options.Momentum, Options.WeightDecay);
        trainer.Optimiser.Nesterov = Options.Nesterov;
        trainer.Optimiser.DecayAll = Options.DecayAll;
        trainer.Optimiser.Beta1 = Options.Beta1;
        trainer.Optimiser.Beta2 = Options.Beta2;
        trainer.Optimiser.Epsilon = Options.Epsilon;
        RunState state;
        DataStatistics statistics;
        float learningRate;
        int completed;
        if (checkpoint is not null && resumed is not null)
        {
            trainer.Restore(checkpoint, lastPath);
            state = resumed;
            statistics = DataStatistics.Load(dataPath);
            if (!statistics.Classes.SequenceEqual(data.Train.Classes, StringComparer.Ordinal))
                throw new InvalidDataException($"{data.Train.Source}: its classes ({string.Join(", ", data.Train.Classes)}) are not the run's ({string.Join(", ", statistics.Classes)}).");
            learningRate = checkpoint.State.LearningRate;
            completed = checkpoint.State.Epoch;
        }
        else
        {
            if (File.Exists(lastPath))
                throw new IOException($"{Directory}: already holds a run ({LastFile}); resume it with --resume, or train into another directory.");
            trainer.Seed = Options.Seed;
            statistics = DataStatistics.Compute(data.Train, preprocessing, done => Report("statistics", 1, done, data.Train.Count, 0));
            if (Parallel.IsRoot)
                statistics.Save(dataPath);
            state = new RunState(Options, new PlateauSchedule(Options.Patience, Options.Threshold, Warmup: Options.Warmup), [], 0, PartialEpoch.None);
            learningRate = Options.LearningRate;
            completed = 0;
        }

        if (resume)
            MemoryCheck.EnsureFits(network, Parallel.Share(Options.BatchSize), Options.Optimizer); // with the checkpoint's batch size, once it is read
        // Every process starts from rank 0's weights, moments, step and seed: the replicas are identical from the first step.
        Parallel.BroadcastState(trainer);
        if (Parallel.Communicator.Size > 1)
        {
            trainer.FirstImage = Parallel.FirstImage(Options.BatchSize);
            trainer.GradientSum = new Distributed.GradientBuckets(Parallel.Communicator, network.Info);
        }
        trainer.ClipNorm = Options.ClipNorm;
        trainer.LabelSmoothing = Options.LabelSmoothing;
        try
        {
            return Train(trainer, state, statistics, learningRate, completed, cancel);
        }
        catch (NumericalFaultException e)
        {
            string kept = File.Exists(lastPath)
                ? $"{lastPath} is untouched and holds the last good state ({savedAt}); resume from it with --resume, adding --clip-norm to bound the gradients."
                : "No checkpoint had been written yet; start again with --clip-norm or a lower --lr.";
            // The paper's inputs are pixel values less the mean image, in the hundreds: a network with a
            // small first layer and the paper's initialisation often needs them divided by their spread too.
            string inputs = statistics.Preprocessing.Normalise ? ""
                : $" The inputs are pixel values less the mean image (up to 255), not divided by their standard deviation; [TrainingDefaults(Normalise = true)] on {network.Info.Name} divides them.";
            throw new NumericalFaultException(e.Step, e.Layer, $"{e.Message} {kept}{inputs}");
        }
    }

    private Checkpoint ReadCheckpoint(string lastPath)
    {
        if (!File.Exists(lastPath))
            throw new FileNotFoundException($"{lastPath}: no checkpoint to resume from; start the run without --resume.", lastPath);
        return Checkpoint.Load(lastPath, network.Info);
    }

    private TrainingOutcome Train(Trainer trainer, RunState state, DataStatistics statistics, float learningRate, int completed, CancellationToken cancel)
    {
        string lastPath = Path.Combine(Directory, LastFile);
        var augmenter = new Augmenter(statistics, network.Info.Input);
        int batchSize = Options.BatchSize, steps = data.Train.Count / batchSize;
        if (steps == 0)
            throw new InvalidDataException($"{data.Train.Source}: {data.Train.Count} training images, fewer than one batch of {batchSize}.");
        if ((long)steps * Options.Epochs < LearningRates.FewestSteps(Options.Schedule))
            throw new InvalidDataException($"The {LearningRates.Name(Options.Schedule)} schedule needs at least {LearningRates.FewestSteps(Options.Schedule)} steps; " +
                $"{Options.Epochs} epochs of {steps} make {(long)steps * Options.Epochs}.");
        // Plateau moves the rate between epochs, by the validation error; the others set it before every step, by the step's index alone.
        bool perStep = LearningRates.PerStep(Options.Schedule);
        int share = Parallel.Share(batchSize);
        var forward = trainer.PassesFor(share).Forward;
        var history = state.History.ToList();
        var schedule = state.Schedule;
        // Only the first epoch of a run resumed mid-epoch starts part-way through.
        int resumeAt = state.BatchesDone;
        var resumedSums = state.Partial;

        for (int epoch = completed + 1; epoch <= Options.Epochs; epoch++)
        {
            var resumedPartial = resumeAt > 0 ? resumedSums : PartialEpoch.None;
            int batch = resumeAt;
            resumeAt = 0;
            var clock = Stopwatch.StartNew();
            // The epoch's sums continue those it saved, step by step, so a resumed epoch ends with an uninterrupted one's.
            // Rank 0 carries the saved sums; the other processes add only their own.
            trainer.ResetTotals(Parallel.IsRoot ? resumedPartial.ToTotals(batch) : PartialEpoch.None.ToTotals(batch));
            var sinceReport = Stopwatch.StartNew();
            using (var queue = Batches.Training(data.Train, augmenter, batchSize, Options.Seed, epoch, skip: batch, shard: Parallel.Communicator.Rank, shards: Parallel.Communicator.Size))
            {
                foreach (var b in queue)
                {
                    if (perStep)
                        learningRate = LearningRates.At(Options, (long)(epoch - 1) * steps + batch, steps);
                    trainer.Enqueue(b.Images, b.Labels, learningRate);
                    Parallel.BroadcastRunningStatistics(network);
                    batch++;
                    bool saveDue = batch < steps && Options.SaveEverySteps > 0 && batch % Options.SaveEverySteps == 0;
                    // Where the steps stay on the device, their sums are read (which waits for them) once per progress update;
                    // the processes of a data-parallel job sum theirs every step, so they meet at the same points.
                    if (!trainer.DefersChecks || Parallel.Communicator.Size > 1 || saveDue || batch == steps || cancel.IsCancellationRequested || sinceReport.Elapsed >= ProgressInterval)
                    {
                        Report("train", epoch, (long)batch * batchSize, (long)steps * batchSize, Parallel.Sum(trainer.ReadTotals(reset: false)).Loss);
                        sinceReport.Restart();
                    }
                    bool stop = Parallel.Any(cancel.IsCancellationRequested);
                    if (batch < steps && (stop || saveDue))
                    {
                        var now = PartialEpoch.From(Parallel.Sum(trainer.ReadTotals(reset: false)), resumedPartial.Seconds + clock.Elapsed.TotalSeconds);
                        Save(trainer, lastPath, epoch - 1, learningRate, new RunState(Options, schedule, history, batch, now), statistics);
                        if (stop)
                            return new TrainingOutcome(false, history, Directory);
                    }
                }
            }
            var sums = Parallel.Sum(trainer.ReadTotals());
            double seconds = resumedPartial.Seconds + clock.Elapsed.TotalSeconds;
            ReplicaHash = Parallel.CheckReplicas(network);

            var validation = Parallel.Evaluate(forward, data.Validation, augmenter, Options.TenCrop,
                done => Report("validate", epoch, done, data.Validation.Count, 0));
            bool improved = history.Count == 0 || validation.Top1Error < history.Min(r => r.ValidationTop1Error);
            var (next, drop) = perStep ? (schedule, false) : schedule.Observe(validation.Top1Error);
            schedule = next;
            history.Add(new EpochRecord(epoch, learningRate, sums.Loss, (double)sums.Top1Errors / sums.Images,
                validation.Loss, validation.Top1Error, validation.Top5Error, seconds, sums.Images / Math.Max(seconds, 1e-9)));
            if (drop)
                learningRate /= PlateauSchedule.Factor;

            Save(trainer, lastPath, epoch, learningRate, new RunState(Options, schedule, history, 0, PartialEpoch.None), statistics);
            if (Parallel.IsRoot)
            {
                if (improved)
                    AtomicFile.Copy(lastPath, Path.Combine(Directory, BestFile)); // the same checkpoint; copied, not gathered and serialised again
                EpochRecord.WriteCsv(Path.Combine(Directory, MetricsFile), history);
                EpochCompleted?.Invoke(history);
            }
            if (Parallel.Any(cancel.IsCancellationRequested) && epoch < Options.Epochs)
                return new TrainingOutcome(false, history, Directory);
        }
        return new TrainingOutcome(true, history, Directory);
    }

    /// <summary>How often a run whose steps stay on the device reads their sums for the progress display.</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(0.5);

    private void Report(string phase, int epoch, long done, long total, double loss) =>
        Progress?.Invoke(new TrainingProgress(phase, epoch, Options.Epochs, done, total, loss));

    private void Save(Trainer trainer, string path, int epoch, float learningRate, RunState state, DataStatistics statistics)
    {
        if (!Parallel.IsRoot)
            return; // one process writes the checkpoint; every replica holds the same weights
        trainer.Save(path, epoch, learningRate, new Dictionary<string, string>
        {
            [StateKey] = JsonSerializer.Serialize(state),
            [ClassesKey] = JsonSerializer.Serialize(statistics.Classes),
        });
        savedAt = state.BatchesDone > 0 ? $"step {trainer.Step:N0}, {state.BatchesDone:N0} batches into epoch {epoch + 1}" : $"the end of epoch {epoch}, step {trainer.Step:N0}";
    }

    /// <summary>The sums of an epoch cut short, so a resumed epoch reports what an uninterrupted one would.</summary>
    private sealed record PartialEpoch(double LossSum, long Errors, long Images, double Seconds)
    {
        public static PartialEpoch None { get; } = new(0, 0, 0, 0);

        /// <summary>The trainer's totals after <paramref name="steps"/> steps, for the epoch to continue from (the run keeps no top-5 count).</summary>
        public StepTotals ToTotals(long steps) => new(steps, Images, LossSum, Images - Errors, 0);

        public static PartialEpoch From(StepTotals totals, double seconds) => new(totals.LossSum, totals.Top1Errors, totals.Images, seconds);
    }

    /// <summary>What a checkpoint must hold beyond weights, the optimiser's state, step and rate for a resumed run to continue exactly.</summary>
    private sealed record RunState(TrainingOptions Options, PlateauSchedule Schedule, IReadOnlyList<EpochRecord> History, int BatchesDone, PartialEpoch Partial)
    {
        public static RunState Read(string path, IReadOnlyDictionary<string, string> metadata)
        {
            if (!metadata.TryGetValue(StateKey, out var json))
                throw new InvalidDataException($"{path}: has no run state (metadata '{StateKey}'); it was not written by a training run, so there is nothing to resume.");
            try
            {
                return JsonSerializer.Deserialize<RunState>(json) ?? throw new JsonException("null");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: its run state (metadata '{StateKey}') is damaged: {e.Message}");
            }
        }
    }
}
