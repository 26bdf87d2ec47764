using System;
using System.Collections.Generic;

namespace NetGen;

// Training steps that stay on the accelerator: Enqueue launches a step and returns without waiting
// for it. Its loss and hits are summed into a record on the device, the gradient guard judges it
// there, and a fault stops every update after it; the host reads the records and the verdict every
// CheckEvery steps and whenever it asks (ReadTotals, Synchronize, Save, Train).
public partial class Trainer
{
    /// <summary>The sums of the steps checked since the totals were last reset.</summary>
    private StepTotals totals;

    /// <summary>Each pending step's result, in the slot of its place among them.</summary>
    private StepRecords? records;

    /// <summary>Before each step enqueued and not yet checked: <see cref="Step"/> and the optimiser's step count, to go back to when it faulted.</summary>
    private readonly List<(long Step, long OptimiserSteps)> pending = [];

    /// <summary>The forward pass of the last step enqueued and how many batches it had taken then: its activations are that step's while the count stands.</summary>
    private (ForwardPass Pass, long Batches)? lastActivations;

    /// <summary>Whether the device holds a norm the host has not read (<see cref="LastGradientNorm"/>).</summary>
    private bool normOnDevice;

    /// <summary>
    /// Whether a step's results and the guard's verdict stay on the device until the host reads them
    /// (an accelerator: <c>ilgpu-cpu</c>, <c>ilgpu-gpu</c>, <c>cuda</c>, ...). False on the CPU backend,
    /// whose memory is the host's, and for a network split over devices: their steps are checked at once.
    /// </summary>
    public bool DefersChecks => Network.Backend != Backend.Cpu && !ChecksOnHost;

    /// <summary>A trainer that runs its own steps on the host (<see cref="PartitionedTrainer"/>) checks them there.</summary>
    private protected virtual bool ChecksOnHost => false;

    /// <summary>
    /// How many steps <see cref="Enqueue"/> leaves pending at most: the host waits for the device
    /// and reads the steps' records and the guard's verdict after this many (16 by default). Each
    /// check drains the accelerator's queue, which idles it while the host launches the next step,
    /// and a fault is found this many steps late at most, steps whose forward and backward passes
    /// ran for nothing and whose updates were skipped. 16 spreads the first over many steps and keeps
    /// the second to a handful; a fault is rare, and a run stops at it anyway. It also bounds the
    /// records kept on the device (one per pending step). 1 checks every step, and a fault in the
    /// loss is then always named by its first activation that is not finite.
    /// </summary>
    public int CheckEvery
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 16;

    /// <summary>
    /// Enqueues one training step (as <see cref="Train"/>: forward with dropout, loss, backward, update)
    /// and returns without waiting for it on an accelerator; advances <see cref="Step"/>. Its loss and
    /// hits go to the running totals (<see cref="ReadTotals"/>). A NaN or an infinity it meets is
    /// found at the next check (every <see cref="CheckEvery"/> steps, or when asked), which throws;
    /// the steps enqueued after it are not applied, and <see cref="Step"/> goes back to the faulted step's.
    /// On the CPU backend the step runs and is checked at once.
    /// </summary>
    /// <exception cref="NumericalFaultException">The check this step brought due found a step that met a NaN or an infinity.</exception>
    public void Enqueue(float[] images, int[] labels, float learningRate)
    {
        if (!DefersChecks)
        {
            Train(images, labels, learningRate);
            return;
        }
        var (forward, pass) = EnqueuePasses(images, labels, TrainingKey, backward: true);
        EnqueueUpdate(forward, pass, learningRate);
        Step++;
        if (pending.Count >= CheckEvery)
            Check();
    }

    /// <summary>
    /// Waits for every step enqueued and checks them: their results join the running totals, and a
    /// fault among them throws.
    /// </summary>
    /// <exception cref="NumericalFaultException">
    /// A step met a NaN or an infinity: it and every step enqueued after it were not applied, and
    /// <see cref="Step"/> is back at the faulted step's (its <see cref="NumericalFaultException.Step"/> less one).
    /// </exception>
    public void Synchronize()
    {
        if (DefersChecks)
            Check();
    }

    /// <summary>
    /// The sums of every training step since the totals were last reset (<see cref="Train"/>'s and
    /// <see cref="Enqueue"/>'s), once every step enqueued has been checked; with <paramref name="reset"/>
    /// the totals start again from zero. The sums are the same whenever they are read.
    /// </summary>
    /// <exception cref="NumericalFaultException">A step met a NaN or an infinity (see <see cref="Synchronize"/>); the totals then hold the steps before it.</exception>
    public StepTotals ReadTotals(bool reset = true)
    {
        Synchronize();
        var read = totals;
        if (reset)
            totals = default;
        return read;
    }

    /// <summary>
    /// Starts the running totals again from <paramref name="start"/> (zero by default): a resumed
    /// epoch continues the sums it saved, and ends with those of an epoch never stopped. The steps
    /// enqueued before are checked first and counted in the totals this replaces.
    /// </summary>
    /// <exception cref="NumericalFaultException">A step enqueued before met a NaN or an infinity (see <see cref="Synchronize"/>).</exception>
    public void ResetTotals(StepTotals start = default)
    {
        Synchronize();
        totals = start;
    }

    /// <summary>
    /// Enqueues a step's record, the guard's check of its gradients (when <see cref="CheckNumerics"/>
    /// or <see cref="ClipNorm"/> asks for one), the clipping, and the update, which the verdict stops
    /// after a fault; the step's number for the guard is <c>Step + 1</c>.
    /// </summary>
    private void EnqueueUpdate(ForwardPass forward, BackwardPass pass, float rate)
    {
        if (records is null || records.Capacity < CheckEvery || pending.Count == records.Capacity)
        {
            if (pending.Count > 0)
                Check(); // the unread records go before their buffer changes or fills
            if (records is null || records.Capacity < CheckEvery)
            {
                records?.Dispose();
                records = new StepRecords(Network.Accelerator, CheckEvery);
            }
        }
        records.Enqueue(pass, pending.Count);
        if (CheckNumerics || ClipNorm > 0)
        {
            guard ??= new GradientGuard(Network);
            guard.EnqueueCheck(gradients.View, pass.LossesOnDevice, Step + 1, CheckNumerics, ClipNorm);
            if (ClipNorm > 0)
                guard.EnqueueClip(gradients.View);
            normOnDevice = true;
        }
        pending.Add((Step, Optimiser.Steps));
        // A guard made for an earlier step still holds any fault it found, which stops this update too.
        Optimiser.Enqueue(gradients.View, rate, guard?.Verdict ?? default);
        lastActivations = (forward, forward.Batches);
    }

    /// <summary>
    /// Waits for the device and reads the pending steps' records and the guard's verdict: without
    /// a fault the records join the totals and are returned; with one, the steps before it join the
    /// totals, <see cref="Step"/> and the optimiser's step count go back to the faulted step's, the
    /// verdict is cleared so updates run again, and the fault is thrown.
    /// </summary>
    private StepResult[] Check()
    {
        Network.Accelerator.Synchronize();
        var steps = records?.Read(pending.Count) ?? [];
        var verdict = guard?.ReadVerdict();
        if (verdict is { } read)
        {
            lastNorm = read.Norm;
            normOnDevice = false;
        }
        if (verdict is not { Faulted: true } fault)
        {
            foreach (var step in steps)
                totals = totals.Add(step);
            pending.Clear();
            return steps;
        }
        // The guard numbered each step Step + 1 as it was enqueued.
        int faulted = Math.Max(0, pending.FindIndex(s => s.Step + 1 == fault.FaultStep));
        for (int i = 0; i < faulted; i++)
            totals = totals.Add(steps[i]);
        int later = pending.Count - faulted - 1;
        (Step, Optimiser.Steps) = pending[faulted];
        pending.Clear();
        guard!.Reset(GuardVerdict.None with { Norm = fault.Norm });
        var kept = later == 0 && lastActivations is { } last && last.Pass.Batches == last.Batches ? last.Pass : null;
        var error = DeviceFault(fault, kept);
        string skipped = later == 0 ? "" : $" The {later:N0} step{(later == 1 ? " enqueued after it was" : "s enqueued after it were")} not applied either, and Step is back at {Step:N0}.";
        throw new NumericalFaultException(error.Step, error.Layer, error.Message + skipped);
    }

    /// <summary>
    /// The fault a verdict recorded, in the words of the host's check: a bad loss named by its first
    /// activation that is not finite when <paramref name="activations"/> still holds the step's, else
    /// the gradient tensor nearest the loss that is not finite.
    /// </summary>
    private NumericalFaultException DeviceFault(GuardVerdict fault, ForwardPass? activations)
    {
        bool badLoss = fault.FaultImage >= 0;
        if (badLoss && activations is not null)
            return ActivationFault(fault.FaultStep, fault.FaultLoss, FirstNonFinite(activations));
        const string Overwritten = "its activations were overwritten by the passes after it, so the first that is not finite cannot be named (CheckEvery = 1 keeps them)";
        if (fault.FaultTensor < 0)
            return new NumericalFaultException(fault.FaultStep, "loss", LossFault(fault.FaultStep, fault.FaultLoss, $"every gradient is finite, and {Overwritten}"));
        var gradient = GradientGuard.Fault(Network.Info, fault.FaultTensor, fault.NaNs, fault.Infinities, fault.FaultTensors, fault.FaultStep);
        return badLoss
            ? new NumericalFaultException(gradient.Step, gradient.Layer, $"{gradient.Message} Its loss is {fault.FaultLoss} too; {Overwritten}.")
            : gradient;
    }

    /// <summary>Waits for the device and forgets the pending steps and any fault among them.</summary>
    private void ForgetUnchecked()
    {
        if (!DefersChecks)
            return;
        Network.Accelerator.Synchronize();
        pending.Clear();
        lastActivations = null;
        guard?.Reset(GuardVerdict.None with { Norm = LastGradientNorm });
    }
}
