using System.Text.Json.Serialization;

namespace NetGen;

/// <summary>How a <see cref="TrainingRun"/> trains: the paper's values unless a network or the command line says otherwise.</summary>
/// <param name="Epochs">Passes over the training set, counting those already done when resuming.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="LearningRate">The starting learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">Weight decay: L2 in the gradient for SGD (the paper's update rule) and Adam, decoupled for AdamW.</param>
/// <param name="Patience">Epochs without a lower validation top-1 error before the learning rate is divided by 10.</param>
/// <param name="Threshold">How much lower a validation error must be to count as an improvement (an absolute fraction; 0 in the paper's reading).</param>
/// <param name="Seed">Fixes initialisation, shuffling, augmentation and dropout.</param>
/// <param name="TenCrop">Validate with the paper's ten crops instead of the centre crop (ten times the work).</param>
/// <param name="SaveEverySteps">Also write <c>last.safetensors</c> every this many steps within an epoch (0: at the end of each epoch only).</param>
/// <param name="Devices">Devices to split the network over, one per column (<see cref="PartitionedTrainer"/>); 1 runs it whole on one device.</param>
/// <param name="ClipNorm">When positive, each step's gradients are scaled down to this global L2 norm when they exceed it (<see cref="Trainer.ClipNorm"/>).</param>
/// <param name="LabelSmoothing">The share of each training target spread over every class (<see cref="Trainer.LabelSmoothing"/>); 0 in the paper.</param>
/// <param name="Warmup">The first epochs of the run: under the plateau schedule they always keep the starting learning rate (<see cref="PlateauSchedule.Warmup"/>); under step and cosine the rate rises linearly to it over their steps (<see cref="LearningRates"/>); 0 in the paper. One-cycle has its own rise and takes none.</param>
/// <param name="Optimizer">The update rule (<see cref="ParameterUpdate"/>): SGD with momentum in the paper.</param>
/// <param name="Nesterov">SGD with Nesterov's momentum.</param>
/// <param name="Beta1">Adam's first-moment decay.</param>
/// <param name="Beta2">Adam's second-moment decay.</param>
/// <param name="Epsilon">Adam's term beside the root of the second moment.</param>
/// <param name="Schedule">How the learning rate moves: the paper's plateau rule, or step, cosine or one-cycle (<see cref="LearningRates"/>).</param>
/// <param name="StepSize">The step schedule's period in epochs (StepLR's step_size).</param>
/// <param name="Gamma">The step schedule's factor (StepLR's gamma).</param>
/// <param name="MinLearningRate">The rate the cosine schedule ends at (CosineAnnealingLR's eta_min).</param>
/// <param name="DecayAll">Weight decay on every parameter, the paper's rule; false leaves biases and batch normalisation's
/// parameters undecayed (<see cref="UpdateRule.IsVector"/>), as <see cref="TrainingDefaultsAttribute.DecayAll"/> does by default.
/// True here so that a checkpoint written before the setting existed resumes as it trained.</param>
public sealed record TrainingOptions(
    int Epochs = 90,
    int BatchSize = 128,
    float LearningRate = 0.01f,
    float Momentum = 0.9f,
    float WeightDecay = 0.0005f,
    int Patience = 2,
    double Threshold = 0,
    ulong Seed = 1,
    bool TenCrop = false,
    int SaveEverySteps = 0,
    int Devices = 1,
    float ClipNorm = 0,
    float LabelSmoothing = 0,
    int Warmup = 0,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Optimizer>))] Optimizer Optimizer = Optimizer.Sgd,
    bool Nesterov = false,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Epsilon = 1e-8f,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Schedule>))] Schedule Schedule = Schedule.Plateau,
    int StepSize = 30,
    float Gamma = 0.1f,
    float MinLearningRate = 0,
    bool DecayAll = true)
{
    /// <summary>The network's declared defaults (<see cref="TrainingDefaultsAttribute"/>), or the paper's when it declares none.</summary>
    public static TrainingOptions From(TrainingDefaultsAttribute? defaults)
    {
        defaults ??= new TrainingDefaultsAttribute();
        return new TrainingOptions(defaults.Epochs, defaults.BatchSize, defaults.LearningRate, defaults.Momentum, defaults.WeightDecay, defaults.Patience, defaults.Threshold,
            LabelSmoothing: defaults.LabelSmoothing, Warmup: defaults.Warmup, Optimizer: defaults.Optimizer, Nesterov: defaults.Nesterov,
            Beta1: defaults.Beta1, Beta2: defaults.Beta2, Epsilon: defaults.Epsilon,
            Schedule: defaults.Schedule, StepSize: defaults.StepSize, Gamma: defaults.Gamma, MinLearningRate: defaults.MinLearningRate, DecayAll: defaults.DecayAll);
    }

    /// <summary>Checks every value is usable.</summary>
    public void Validate()
    {
        if (!(ClipNorm >= 0) || float.IsInfinity(ClipNorm))
            throw new System.ArgumentException($"The gradient clipping norm ({ClipNorm}) must be 0 (off) or a positive number.");
        BackwardPass.CheckSmoothing(LabelSmoothing);
        if (Devices <= 0)
            throw new System.ArgumentException($"Devices ({Devices}) must be 1, or the network's column count to split it over that many devices.");
        if (Epochs <= 0 || BatchSize <= 0 || Patience <= 0 || SaveEverySteps < 0 || !(Threshold >= 0 && Threshold < 1))
            throw new System.ArgumentException($"Epochs ({Epochs}), batch size ({BatchSize}) and patience ({Patience}) must be positive.");
        if (Warmup < 0)
            throw new System.ArgumentException($"The warm-up ({Warmup} epochs) must be zero or more.");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate) || !(Momentum >= 0 && Momentum < 1) || !(WeightDecay >= 0))
            throw new System.ArgumentException($"Learning rate {LearningRate} must be positive, momentum {Momentum} in [0, 1) and weight decay {WeightDecay} zero or more.");
        if (!System.Enum.IsDefined(Optimizer))
            throw new System.ArgumentException($"The optimizer ({(int)Optimizer}) is sgd, adam or adamw.");
        // PyTorch's own checks (torch.optim.SGD and Adam).
        if (Nesterov && Optimizer != Optimizer.Sgd)
            throw new System.ArgumentException($"Nesterov momentum is SGD's; {OptimiserState.Name(Optimizer)} has none (drop --nesterov, or use --optimizer sgd).");
        if (Nesterov && !(Momentum > 0))
            throw new System.ArgumentException("Nesterov momentum needs a momentum above 0.");
        if (!System.Enum.IsDefined(Schedule))
            throw new System.ArgumentException($"The schedule ({(int)Schedule}) is plateau, step, cosine or onecycle.");
        if (StepSize <= 0 || !(Gamma > 0) || !float.IsFinite(Gamma))
            throw new System.ArgumentException($"The step schedule's step size ({StepSize} epochs) and gamma ({Gamma}) must be positive.");
        if (!(MinLearningRate >= 0 && MinLearningRate <= LearningRate))
            throw new System.ArgumentException($"The cosine schedule's final rate ({MinLearningRate}) must be between 0 and the learning rate ({LearningRate}).");
        if (Schedule == Schedule.OneCycle && Warmup > 0)
            throw new System.ArgumentException("onecycle has its own warm-up, the first 30% of its steps (OneCycleLR's pct_start): drop --warmup, which is plateau's, step's and cosine's.");
        if (Schedule == Schedule.Cosine && Warmup >= Epochs)
            throw new System.ArgumentException($"The cosine schedule's warm-up ({Warmup} epochs) must be shorter than the run ({Epochs} epochs).");
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1) || !(Epsilon >= 0) || !float.IsFinite(Epsilon))
            throw new System.ArgumentException($"Adam's betas ({Beta1}, {Beta2}) must be in [0, 1) and its epsilon ({Epsilon}) zero or more.");
    }
}
