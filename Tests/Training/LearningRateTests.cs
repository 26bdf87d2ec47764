using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading;
using NetGen.Networks;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Training;

/// <summary>
/// The step, cosine and one-cycle schedules: every step's rate against the formula written out here in
/// double, step and one-cycle against the rates PyTorch 1.13 gives (Fixtures/torch_lr_schedules.json,
/// written by benchmarks/reference/torch_lr_schedules.py), and resumed runs that continue them exactly.
/// </summary>
[Collection(AcceleratorCollection.Name)]
public class LearningRateTests(AcceleratorFixture fixture)
{
    private static float[] Rates(TrainingOptions options, int stepsPerEpoch) =>
        Enumerable.Range(0, options.Epochs * stepsPerEpoch).Select(t => LearningRates.At(options, t, stepsPerEpoch)).ToArray();

    private static void AssertBits(float[] expected, float[] actual) =>
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));

    [Fact]
    public void StepIsStepLRAfterALinearWarmup()
    {
        // 4 steps an epoch, 2 warm-up epochs (8 steps), then times 0.5 every 3 epochs counted from the warm-up's end.
        var options = new TrainingOptions(Epochs: 10, LearningRate: 0.5f, Schedule: Schedule.Step, StepSize: 3, Gamma: 0.5f, Warmup: 2);
        var expected = Enumerable.Range(0, 40).Select(t => (float)(t < 8 ? 0.5 * (t + 1) / 8 : 0.5 * Math.Pow(0.5, Math.Floor((t / 4 - 2) / 3.0)))).ToArray();
        AssertBits(expected, Rates(options, 4));
        Assert.Equal(0.0625f, Rates(options, 4)[0]);
        Assert.Equal(0.5f, Rates(options, 4)[7]); // the warm-up's last step reaches the rate
        Assert.Equal([0.5f, 0.25f, 0.125f], Rates(options, 4).Skip(8).Chunk(12).Select(c => c.Distinct().Single()));
    }

    [Fact]
    public void CosineRisesLinearlyThenAnnealsToItsFloorStepByStep()
    {
        const int S = 10, W = 2 * S, T = 6 * S;
        var options = new TrainingOptions(Epochs: 6, LearningRate: 0.1f, Schedule: Schedule.Cosine, Warmup: 2, MinLearningRate: 0.001f);
        double b = 0.1f, min = 0.001f;
        var expected = Enumerable.Range(0, T).Select(t => (float)(t < W ? b * (t + 1) / W : min + (b - min) * (1 + Math.Cos(Math.PI * (t - W) / (T - W))) / 2)).ToArray();
        var rates = Rates(options, S);
        AssertBits(expected, rates);
        Assert.Equal((float)(0.1f / 20.0), rates[0]);
        Assert.Equal(0.1f, rates[W - 1]);
        Assert.Equal(0.1f, rates[W]); // the annealing starts from the rate itself
        Assert.Equal((float)((b + min) / 2), rates[W + (T - W) / 2]);
        Assert.All(rates.Skip(W).Zip(rates.Skip(W + 1)), p => Assert.True(p.Second < p.First)); // a new rate every step, falling
        Assert.InRange(rates[^1], 0.001f, 0.0012f);

        // Without a warm-up or a floor: from the rate itself down towards 0.
        var plain = Rates(options with { Warmup = 0, MinLearningRate = 0 }, S);
        AssertBits(Enumerable.Range(0, T).Select(t => (float)(b * (1 + Math.Cos(Math.PI * t / T)) / 2)).ToArray(), plain);
    }

    [Fact]
    public void OneCycleRisesFromATwentyFifthOverThirtyPercentThenFallsToATenThousandthOfThat()
    {
        const int T = 50;
        var options = new TrainingOptions(Epochs: 5, LearningRate: 0.4f, Schedule: Schedule.OneCycle);
        double b = 0.4f, initial = b / 25, last = initial / 1e4, riseEnd = 0.3 * T - 1;
        static double Cos(double start, double end, double pct) => end + (start - end) / 2 * (Math.Cos(Math.PI * pct) + 1);
        var expected = Enumerable.Range(0, T).Select(t => (float)(t <= riseEnd ? Cos(initial, b, t / riseEnd) : Cos(b, last, (t - riseEnd) / (T - 1 - riseEnd)))).ToArray();
        var rates = Rates(options, 10);
        AssertBits(expected, rates);
        Assert.Equal((float)(0.4f / 25.0), rates[0]);
        Assert.Equal(0.4f, rates[14]);
        Assert.Equal((float)(0.4f / 25.0 / 1e4), rates[^1]);
    }

    [Fact]
    public void StepAndOneCycleGiveTheRatesPyTorchGives()
    {
        var root = Fixture();
        Assert.StartsWith("1.13", root.GetProperty("torch").GetString());
        int cases = 0;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var schedule = LearningRates.Parse(c.GetProperty("schedule").GetString())!.Value;
            var options = new TrainingOptions(Epochs: c.GetProperty("epochs").GetInt32(), LearningRate: (float)c.GetProperty("lr").GetDouble(), Schedule: schedule);
            if (schedule == Schedule.Step)
                options = options with { StepSize = c.GetProperty("step_size").GetInt32(), Gamma = (float)c.GetProperty("gamma").GetDouble() };
            var torch = c.GetProperty("rates").EnumerateArray().Select(r => (float)double.Parse(r.GetString()!, CultureInfo.InvariantCulture)).ToArray();
            AssertBits(torch, Rates(options, c.GetProperty("steps_per_epoch").GetInt32()));
            cases++;
        }
        Assert.Equal(7, cases);
    }

    [Fact]
    public void PlateauIsNotAPerStepScheduleAndOneCycleTakesNoWarmup()
    {
        Assert.False(LearningRates.PerStep(Schedule.Plateau));
        Assert.Throws<ArgumentException>(() => LearningRates.At(new TrainingOptions(), 0, 10));
        var e = Assert.Throws<ArgumentException>(() => new TrainingOptions(Epochs: 4, Schedule: Schedule.OneCycle, Warmup: 1).Validate());
        Assert.Contains("onecycle has its own warm-up", e.Message);
        Assert.Throws<ArgumentException>(() => new TrainingOptions(Epochs: 4, Schedule: Schedule.Cosine, Warmup: 4).Validate());
        Assert.Throws<ArgumentException>(() => new TrainingOptions(Schedule: Schedule.Step, StepSize: 0).Validate());
        Assert.Throws<ArgumentException>(() => new TrainingOptions(LearningRate: 0.01f, MinLearningRate: 0.02f).Validate());
    }

    /// <summary>
    /// Interrupted in the middle of an epoch or at its end and resumed (with the same --epochs, which fix the
    /// schedule's length), a cosine or one-cycle run ends with the weights and moments of one never stopped, bit
    /// for bit, and its metrics record each epoch's last rate.
    /// </summary>
    [Theory]
    [InlineData(Schedule.Cosine, Optimizer.Sgd)]
    [InlineData(Schedule.OneCycle, Optimizer.Sgd)]
    [InlineData(Schedule.OneCycle, Optimizer.AdamW)]
    public void AResumedRunContinuesItsScheduleExactly(Schedule schedule, Optimizer optimizer)
    {
        var data = TrainingRunTests.Sample(train: 640, validation: 200);
        var options = new TrainingOptions(Epochs: 3, BatchSize: 64, LearningRate: optimizer == Optimizer.Sgd ? 0.02f : 0.002f, Seed: 3,
            Optimizer: optimizer, Schedule: schedule, Warmup: schedule == Schedule.Cosine ? 1 : 0);
        using var straight = new TemporaryFolder();
        using var boundary = new TemporaryFolder();
        using var midEpoch = new TemporaryFolder();

        Checkpoint Train(string folder, bool resume, int stopAfterSteps = 0)
        {
            using var network = new MiniAlexNet(fixture.CpuDevice, seed: 3);
            var run = new TrainingRun(network, data, options, TrainingRunTests.MiniPreprocessing, folder);
            using var cancel = new CancellationTokenSource();
            int steps = 0;
            if (stopAfterSteps > 0)
                run.Progress += p =>
                {
                    if (p.Phase == "train" && ++steps == stopAfterSteps)
                        cancel.Cancel();
                };
            var outcome = run.Run(resume, cancel.Token);
            Assert.Equal(stopAfterSteps == 0, outcome.Completed);
            return Checkpoint.Load(Path.Combine(folder, TrainingRun.LastFile), network.Info);
        }

        var expected = Train(straight.Path, resume: false);
        Train(boundary.Path, resume: false, stopAfterSteps: 10); // the end of epoch 1 (10 steps of 64)
        var resumedAtBoundary = Train(boundary.Path, resume: true);
        Train(midEpoch.Path, resume: false, stopAfterSteps: 14); // 4 steps into epoch 2
        var resumedMidEpoch = Train(midEpoch.Path, resume: true);

        foreach (var resumed in new[] { resumedAtBoundary, resumedMidEpoch })
        {
            AssertBits(expected.Parameters, resumed.Parameters);
            AssertBits(expected.Optimiser!.First, resumed.Optimiser!.First);
            Assert.Equal(expected.State, resumed.State);
        }
        Assert.Equal(30, expected.State.Step);
        // metrics.csv: each epoch's rate is its last step's, the same in every run.
        var rates = File.ReadAllLines(Path.Combine(straight.Path, TrainingRun.MetricsFile)).Skip(1)
            .Select(l => float.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        var all = Rates(options, 10);
        AssertBits([all[9], all[19], all[29]], rates);
        Assert.NotEqual(all[0], all[9]);
        foreach (var folder in new[] { boundary.Path, midEpoch.Path })
            Assert.Equal(File.ReadAllLines(Path.Combine(straight.Path, TrainingRun.MetricsFile)).Select(WithoutTimes),
                File.ReadAllLines(Path.Combine(folder, TrainingRun.MetricsFile)).Select(WithoutTimes));
    }

    private static string WithoutTimes(string line) => string.Join(',', line.Split(',')[..^2]);

    private static JsonElement Fixture([CallerFilePath] string here = "") =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "Fixtures", "torch_lr_schedules.json"))).RootElement;
}
