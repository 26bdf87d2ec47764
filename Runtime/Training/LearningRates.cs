using System;

namespace NetGen;

/// <summary>
/// The learning rate of each step under the schedules that set it step by step (step, cosine and
/// one-cycle), as a function of the step's index in the run alone: nothing is carried from one step to
/// the next, so a resumed run (which knows its step) continues the schedule exactly. Each rate is worked
/// out in double from the float options and rounded to float once. The plateau rule depends on the
/// validation error and is <see cref="PlateauSchedule"/>'s.
/// </summary>
public static class LearningRates
{
    /// <summary>OneCycleLR's share of the steps that rise (pct_start).</summary>
    public const double OneCycleRise = 0.3;

    /// <summary>OneCycleLR's div_factor: the first rate is lr / 25.</summary>
    public const double OneCycleDiv = 25;

    /// <summary>OneCycleLR's final_div_factor: the last rate is (lr / 25) / 1e4.</summary>
    public const double OneCycleFinalDiv = 1e4;

    /// <summary>The name the command line gives <paramref name="schedule"/>: plateau, step, cosine or onecycle.</summary>
    public static string Name(Schedule schedule) => schedule switch
    {
        Schedule.Plateau => "plateau",
        Schedule.Step => "step",
        Schedule.Cosine => "cosine",
        Schedule.OneCycle => "onecycle",
        _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "The schedule is plateau, step, cosine or onecycle."),
    };

    /// <summary>The schedule named <paramref name="name"/> (in any case), or null.</summary>
    public static Schedule? Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "plateau" => Schedule.Plateau,
        "step" => Schedule.Step,
        "cosine" => Schedule.Cosine,
        "onecycle" => Schedule.OneCycle,
        _ => null,
    };

    /// <summary>Whether <paramref name="schedule"/> sets the rate before every step (all but plateau, which moves it between epochs).</summary>
    public static bool PerStep(Schedule schedule) => schedule != Schedule.Plateau;

    /// <summary>
    /// The rate of step <paramref name="step"/> (0 for the run's first) of a run of <see cref="TrainingOptions.Epochs"/>
    /// epochs of <paramref name="stepsPerEpoch"/> steps each, under <see cref="TrainingOptions.Schedule"/> (not plateau).
    /// With <c>S</c> steps per epoch, <c>W = Warmup S</c> warm-up steps, <c>T = Epochs S</c> steps in all and <c>b</c> the base rate:
    /// <list type="bullet">
    /// <item>warm-up (step and cosine): <c>b (t + 1) / W</c> for <c>t &lt; W</c>;</item>
    /// <item>step: <c>b Gamma^floor(e / StepSize)</c>, <c>e = floor(t / S) - Warmup</c> the epochs since the warm-up (StepLR);</item>
    /// <item>cosine: <c>min + (b - min) (1 + cos(pi (t - W) / (T - W))) / 2</c>;</item>
    /// <item>onecycle (OneCycleLR, cos, three_phase=False): from <c>b / 25</c> up to <c>b</c> until step <c>0.3 T - 1</c>, then down to <c>b / 25 / 1e4</c> at step <c>T - 1</c>,
    /// each phase <c>end + (start - end) (cos(pi pct) + 1) / 2</c> with <c>pct</c> the share of the phase done.</item>
    /// </list>
    /// </summary>
    public static float At(TrainingOptions options, long step, int stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerEpoch);
        double b = options.LearningRate;
        long total = (long)options.Epochs * stepsPerEpoch, warm = (long)options.Warmup * stepsPerEpoch;
        switch (options.Schedule)
        {
            case Schedule.Step:
                if (step < warm)
                    return (float)(b * (step + 1) / warm);
                long epochs = step / stepsPerEpoch - options.Warmup;
                return (float)(b * Math.Pow(options.Gamma, epochs / options.StepSize));
            case Schedule.Cosine:
                if (step < warm)
                    return (float)(b * (step + 1) / warm);
                double min = options.MinLearningRate;
                double progress = total > warm ? Math.Min(1.0, (double)(step - warm) / (total - warm)) : 1.0;
                return (float)(min + (b - min) * (1 + Math.Cos(Math.PI * progress)) / 2);
            case Schedule.OneCycle:
            {
                double initial = b / OneCycleDiv, last = initial / OneCycleFinalDiv;
                double riseEnd = OneCycleRise * total - 1, fallEnd = total - 1;
                return step <= riseEnd
                    ? (float)Anneal(initial, b, step / riseEnd)
                    : (float)Anneal(b, last, Math.Min(1.0, (step - riseEnd) / (fallEnd - riseEnd)));
            }
            default:
                throw new ArgumentException($"The {Name(options.Schedule)} schedule does not set the rate step by step.", nameof(options));
        }

        // OneCycleLR's _annealing_cos.
        static double Anneal(double start, double end, double pct) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1);
    }

    /// <summary>The fewest steps a run under <paramref name="schedule"/> can have (one-cycle needs a rising phase of at least one step: 0.3 T - 1 above 0).</summary>
    public static long FewestSteps(Schedule schedule) => schedule == Schedule.OneCycle ? 4 : 1;
}
