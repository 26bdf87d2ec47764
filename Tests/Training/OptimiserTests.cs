using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;

namespace NetGen.Tests.Training;

/// <summary>The optimisers on the accelerator and the CPU backend against their update rules written out on the host.</summary>
[Collection(AcceleratorCollection.Name)]
public class OptimiserTests(AcceleratorFixture fixture)
{
    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void StepsFollowThePapersUpdateRuleWithCaffesMultipliers(string device)
    {
        using var net = new SgdProbe(fixture[device], seed: 1);
        using var trainer = new SgdProbe.Trainer(net, seed: 3);
        var images = Numbers.Uniform(4 * 18, 5);
        int[] labels = [0, 2, 1, 2];
        // From the declaration: fc1's bias learns at twice the rate and does not decay.
        var multipliers = new Dictionary<string, (float Lr, float Decay)>
        {
            ["fc1.weight"] = (1, 1), ["fc1.bias"] = (2, 0), ["fc2.weight"] = (1, 1), ["fc2.bias"] = (1, 1),
        };
        var w = net.ReadParameters();
        var v = new float[w.Length];
        float[] rates = [0.1f, 0.05f, 0.2f, 0.01f];
        foreach (float rate in rates)
        {
            // The gradient this step will use: same batch, same dropout masks, no update.
            trainer.ComputeGradients(images, labels, dropout: true);
            var g = trainer.ReadGradients();
            foreach (var tensor in net.Info.Parameters)
            {
                var (lrMult, decayMult) = multipliers[tensor.Name];
                float lr = rate * lrMult, decay = 0.0005f * decayMult;
                for (long i = tensor.Offset; i < tensor.Offset + tensor.Count; i++)
                {
                    v[i] = 0.9f * v[i] - decay * lr * w[i] - lr * g[i];
                    w[i] += v[i];
                }
            }
            long step = trainer.Step;
            trainer.Train(images, labels, rate);
            Assert.Equal(step + 1, trainer.Step);
            Numbers.AssertClose(v, trainer.Optimiser.ReadVelocity(), "momentum", relative: 1e-6, absolute: 1e-9);
            Numbers.AssertClose(w, net.ReadParameters(), "parameters", relative: 1e-6, absolute: 1e-9);
        }
        // The bias without decay moved differently from one with it: the multipliers took effect.
        Assert.NotEqual(0f, trainer.Optimiser.ReadVelocity()[(int)net.Fc1.Bias.Info.Offset]);
    }

    /// <summary>From the declaration: fc1's bias learns at twice the rate and does not decay.</summary>
    private static readonly Dictionary<string, (float Lr, float Decay)> Multipliers = new()
    {
        ["fc1.weight"] = (1, 1), ["fc1.bias"] = (2, 0), ["fc2.weight"] = (1, 1), ["fc2.bias"] = (1, 1),
    };

    /// <summary>
    /// torch.optim.Adam and AdamW written out in double: <c>g' = g + decay w</c> (Adam) or <c>w *= 1 - lr decay</c>
    /// (AdamW); <c>m = b1 m + (1 - b1) g'</c>; <c>v = b2 v + (1 - b2) g'^2</c>; <c>w -= lr m̂ / (sqrt(v̂) + eps)</c>
    /// with <c>m̂ = m / (1 - b1^t)</c>, <c>v̂ = v / (1 - b2^t)</c>; each tensor's lr and decay times its multipliers.
    /// The first step of bias-corrected Adam moves every weight by lr (times its LrMult) against the sign of g'.
    /// With <paramref name="decayAll"/> false the biases (one-dimensional tensors) take no decay at all.
    /// </summary>
    [Theory]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.Adam, true)]
    [InlineData(AcceleratorFixture.Cpu, Optimizer.Adam, true)]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.AdamW, true)]
    [InlineData(AcceleratorFixture.Cpu, Optimizer.AdamW, true)]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.AdamW, false)]
    [InlineData(AcceleratorFixture.Cpu, Optimizer.Adam, false)]
    public void AdamStepsFollowPyTorchsRuleWithCaffesMultipliers(string device, Optimizer optimizer, bool decayAll)
    {
        const double Beta1 = 0.8, Beta2 = 0.99, Epsilon = 1e-6, Decay = 0.1;
        using var net = new SgdProbe(fixture[device], seed: 1);
        using var trainer = new Trainer(net, seed: 3, optimizer, weightDecay: (float)Decay);
        trainer.Optimiser.DecayAll = decayAll;
        double DecayOf(ParameterInfo tensor) => decayAll || tensor.Dimensions.Count > 1 ? Decay * Multipliers[tensor.Name].Decay : 0;
        (trainer.Optimiser.Beta1, trainer.Optimiser.Beta2, trainer.Optimiser.Epsilon) = ((float)Beta1, (float)Beta2, (float)Epsilon);
        var images = Numbers.Uniform(4 * 18, 5);
        int[] labels = [0, 2, 1, 2];
        var w = net.ReadParameters().Select(x => (double)x).ToArray();
        var m = new double[w.Length];
        var v = new double[w.Length];
        float[] rates = [0.01f, 0.005f, 0.02f, 0.001f, 0.01f];
        for (int t = 1; t <= rates.Length; t++)
        {
            trainer.ComputeGradients(images, labels, dropout: true);
            var g = trainer.ReadGradients();
            var before = net.ReadParameters();
            foreach (var tensor in net.Info.Parameters)
            {
                double lr = rates[t - 1] * Multipliers[tensor.Name].Lr, decay = DecayOf(tensor);
                for (long i = tensor.Offset; i < tensor.Offset + tensor.Count; i++)
                {
                    double gradient = g[i];
                    if (optimizer == Optimizer.AdamW)
                        w[i] *= 1 - lr * decay;
                    else
                        gradient += decay * w[i];
                    m[i] = Beta1 * m[i] + (1 - Beta1) * gradient;
                    v[i] = Beta2 * v[i] + (1 - Beta2) * gradient * gradient;
                    double mHat = m[i] / (1 - Math.Pow(Beta1, t)), vHat = v[i] / (1 - Math.Pow(Beta2, t));
                    w[i] -= lr * mHat / (Math.Sqrt(vHat) + Epsilon);
                }
            }
            trainer.Train(images, labels, rates[t - 1]);
            Assert.Equal(t, trainer.Optimiser.Steps);
            var after = net.ReadParameters();
            var state = trainer.ReadOptimiserState();
            Assert.Equal(optimizer, state.Kind);
            Numbers.AssertClose(m.Select(x => (float)x).ToArray(), state.First, "exp_avg", relative: 1e-5, absolute: 1e-9);
            Numbers.AssertClose(v.Select(x => (float)x).ToArray(), state.Second!, "exp_avg_sq", relative: 1e-5, absolute: 1e-12);
            Numbers.AssertClose(w.Select(x => (float)x).ToArray(), after, $"parameters after step {t}", relative: 1e-5, absolute: 1e-7);
            if (t == 1)
            {
                // Bias correction at t = 1: m̂ = g' and v̂ = g'^2, so each weight moves by lr * LrMult * |g'| / (|g'| + eps)
                // (after AdamW's shrink); without the correction it would move (1 - b1) / sqrt(1 - b2) = 2 times as far.
                foreach (var tensor in net.Info.Parameters)
                {
                    double lr = rates[0] * Multipliers[tensor.Name].Lr, decay = DecayOf(tensor);
                    double shrink = optimizer == Optimizer.AdamW ? 1 - lr * decay : 1;
                    for (long i = tensor.Offset; i < tensor.Offset + tensor.Count; i++)
                    {
                        double gradient = Math.Abs(g[i] + (optimizer == Optimizer.Adam ? decay * before[i] : 0));
                        Assert.Equal(lr * gradient / (gradient + Epsilon), Math.Abs(before[i] * shrink - after[i]), 1e-4 * lr);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Nesterov's SGD against torch.optim.SGD(nesterov=True) written out in double, at a constant rate:
    /// <c>g' = g + decay w</c>, <c>buf = m buf + g'</c>, <c>w -= lr (g' + m buf)</c>. NetGen keeps the
    /// velocity <c>v = -lr buf</c> (the learning rate folded in, as in the paper's rule).
    /// </summary>
    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void NesterovStepsFollowPyTorchsRuleAtAConstantRate(string device)
    {
        const double Momentum = 0.9, Decay = 0.01, Rate = 0.05;
        using var net = new SgdProbe(fixture[device], seed: 1);
        using var trainer = new Trainer(net, seed: 3, Optimizer.Sgd, (float)Momentum, (float)Decay);
        trainer.Optimiser.Nesterov = true;
        var images = Numbers.Uniform(4 * 18, 5);
        int[] labels = [0, 2, 1, 2];
        var w = net.ReadParameters().Select(x => (double)x).ToArray();
        var buffer = new double[w.Length];
        for (int t = 1; t <= 4; t++)
        {
            trainer.ComputeGradients(images, labels, dropout: true);
            var g = trainer.ReadGradients();
            foreach (var tensor in net.Info.Parameters)
            {
                var (lrMult, decayMult) = Multipliers[tensor.Name];
                double lr = Rate * lrMult, decay = Decay * decayMult;
                for (long i = tensor.Offset; i < tensor.Offset + tensor.Count; i++)
                {
                    double gradient = g[i] + decay * w[i];
                    buffer[i] = Momentum * buffer[i] + gradient;
                    w[i] -= lr * (gradient + Momentum * buffer[i]);
                }
            }
            trainer.Train(images, labels, (float)Rate);
            Numbers.AssertClose(w.Select(x => (float)x).ToArray(), net.ReadParameters(), $"parameters after step {t}", relative: 1e-5, absolute: 1e-7);
            var velocity = new double[w.Length];
            foreach (var tensor in net.Info.Parameters)
                for (long i = tensor.Offset; i < tensor.Offset + tensor.Count; i++)
                    velocity[i] = -Rate * Multipliers[tensor.Name].Lr * buffer[i];
            Numbers.AssertClose(velocity.Select(x => (float)x).ToArray(), trainer.ReadVelocity(), "velocity", relative: 1e-5, absolute: 1e-9);
        }
    }

    /// <summary>Every rule on the CPU backend gives the bits of its ILGPU kernel, from the same weights and gradients.</summary>
    [Theory]
    [InlineData(Optimizer.Sgd, false)]
    [InlineData(Optimizer.Sgd, true)]
    [InlineData(Optimizer.Adam, false)]
    [InlineData(Optimizer.AdamW, false)]
    public void TheCpuBackendGivesTheKernelsBits(Optimizer optimizer, bool nesterov)
    {
        (float[] Parameters, OptimiserState State) Steps(string device)
        {
            using var net = new SgdProbe(fixture[device], seed: 1);
            using var update = new ParameterUpdate(net, optimizer, momentum: 0.9f, weightDecay: 0.05f) { Nesterov = nesterov };
            for (int step = 0; step < 3; step++)
            {
                using var gradients = net.Accelerator.Allocate1D(Numbers.Uniform((int)net.Info.ParameterCount, 40 + step, scale: 2f));
                update.Enqueue(gradients.View, 0.03f / (step + 1));
                net.Accelerator.Synchronize();
            }
            return (net.ReadParameters(), update.ReadState());
        }

        var kernels = Steps(AcceleratorFixture.Kernels);
        var cpu = Steps(AcceleratorFixture.Cpu);
        Assert.Equal(Bits(kernels.Parameters), Bits(cpu.Parameters));
        Assert.Equal(Bits(kernels.State.First), Bits(cpu.State.First));
        Assert.Equal(kernels.State.Second is null ? null : Bits(kernels.State.Second), cpu.State.Second is null ? null : Bits(cpu.State.Second));
        Assert.Equal((3L, 3L), (kernels.State.Steps, cpu.State.Steps));
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.Sgd, false)]
    [InlineData(AcceleratorFixture.Cpu, Optimizer.Sgd, false)]
    [InlineData(AcceleratorFixture.Cpu, Optimizer.Sgd, true)]
    [InlineData(AcceleratorFixture.Kernels, Optimizer.Adam, false)]
    [InlineData(AcceleratorFixture.Cpu, Optimizer.Adam, false)]
    [InlineData(AcceleratorFixture.Cpu, Optimizer.AdamW, false)]
    public void EachOptimiserResumesBitForBit(string device, Optimizer optimizer, bool nesterov)
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("run.safetensors");
        var images = Numbers.Uniform(4 * 18, 5);
        int[] labels = [0, 2, 1, 2];
        float[] rates = [0.01f, 0.02f, 0.005f, 0.01f, 0.003f];
        using var a = new SgdProbe(fixture[device], seed: 1);
        using var straight = new Trainer(a, seed: 3, optimizer, weightDecay: 0.01f);
        straight.Optimiser.Nesterov = nesterov;
        for (int step = 0; step < rates.Length; step++)
        {
            straight.Train(images, labels, rates[step]);
            if (step == 1)
                straight.Save(path, epoch: 0, learningRate: rates[step]);
        }

        using var b = new SgdProbe(fixture[device], seed: 99);
        using var resumed = new Trainer(b, seed: 0, optimizer, weightDecay: 0.01f);
        resumed.Optimiser.Nesterov = nesterov;
        resumed.Load(path);
        Assert.Equal(2, resumed.Optimiser.Steps);
        for (int step = 2; step < rates.Length; step++)
            resumed.Train(images, labels, rates[step]);

        Assert.Equal(Bits(a.ReadParameters()), Bits(b.ReadParameters()));
        var (x, y) = (straight.ReadOptimiserState(), resumed.ReadOptimiserState());
        Assert.Equal(Bits(x.First), Bits(y.First));
        Assert.Equal(x.Second is null ? null : Bits(x.Second), y.Second is null ? null : Bits(y.Second));
        Assert.Equal(x.Steps, y.Steps);
        using var untrained = new SgdProbe(fixture[device], seed: 1);
        Assert.NotEqual(Bits(untrained.ReadParameters()), Bits(a.ReadParameters()));
    }

    [Fact]
    public void ACheckpointOfAnotherOptimiserIsRefusedNamingBoth()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("adam.safetensors");
        var images = Numbers.Uniform(4 * 18, 5);
        using var net = new SgdProbe(fixture.CpuDevice, seed: 1);
        using (var adam = new Trainer(net, seed: 3, Optimizer.Adam))
        {
            adam.Train(images, [0, 2, 1, 2], 0.01f);
            adam.Save(path, epoch: 0, learningRate: 0.01f);
        }
        var saved = SafeTensorsFile.Read(path);
        Assert.Equal(("adam", "1"), (saved.Metadata[Checkpoint.OptimizerKey], saved.Metadata[Checkpoint.OptimizerStepKey]));
        Assert.Contains(saved.Tensors, t => t.Name == "exp_avg.fc1.weight");
        Assert.Contains(saved.Tensors, t => t.Name == "exp_avg_sq.fc2.bias");
        Assert.DoesNotContain(saved.Tensors, t => t.Name.StartsWith(Checkpoint.MomentumPrefix, StringComparison.Ordinal));

        using var sgd = new Trainer(net, seed: 3);
        var e = Assert.Throws<System.IO.InvalidDataException>(() => sgd.Load(path));
        Assert.StartsWith($"{path}: holds the state of adam (after 1 update), and this trainer runs sgd; resume it with --optimizer adam", e.Message);
        using var adamW = new Trainer(net, seed: 3, Optimizer.AdamW);
        Assert.Contains("holds the state of adam", Assert.Throws<System.IO.InvalidDataException>(() => adamW.Load(path)).Message);
        using var again = new Trainer(net, seed: 3, Optimizer.Adam);
        again.Load(path);
        Assert.Equal(1, again.Optimiser.Steps);
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void CheckpointRoundTripRestoresTrainingExactly(string device)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"netgen-{Guid.NewGuid():N}.safetensors");
        try
        {
            var images = Numbers.Uniform(4 * 18, 5);
            int[] labels = [0, 2, 1, 2];
            using var a = new SgdProbe(fixture[device], seed: 1);
            using var trainA = new SgdProbe.Trainer(a, seed: 3);
            trainA.Train(images, labels, 0.1f);
            trainA.Save(path, epoch: 1, learningRate: 0.1f);
            trainA.Train(images, labels, 0.1f);

            using var b = new SgdProbe(fixture[device], seed: 99);
            using var trainB = new SgdProbe.Trainer(b);
            var checkpoint = trainB.Load(path);
            Assert.Equal(new TrainingState(1, 1, 0.1f, 3), checkpoint.State);
            trainB.Train(images, labels, 0.1f);
            // Same weights, momentum, step and dropout masks: the resumed step is bit for bit the uninterrupted one.
            Assert.Equal(a.ReadParameters(), b.ReadParameters());
            Assert.Equal(trainA.Optimiser.ReadVelocity(), trainB.Optimiser.ReadVelocity());
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    /// <summary>A network whose fc1.bias is not trained (as running statistics are not), for the optimiser and checkpoints alone.</summary>
    private sealed class FrozenBias(Device device) : Network(device, SgdProbe.Description with
    {
        Parameters = SgdProbe.Description.Parameters.Select(p => p.Name == "fc1.bias" ? p with { Trainable = false } : p).ToList(),
    }, seed: 1)
    {
        public override ForwardPass CreateForwardPass(int batchSize) => throw new NotSupportedException();

        public override BackwardPass CreateBackwardPass(ForwardPass forward) => throw new NotSupportedException();
    }

    [Theory, InlineData(AcceleratorFixture.Kernels), InlineData(AcceleratorFixture.Cpu)]
    public void ATensorThatIsNotTrainedIsLeftByTheOptimiserAndKeptByCheckpoints(string device)
    {
        using var net = new FrozenBias(fixture[device]);
        var before = net.ReadParameters();
        using var gradients = net.Accelerator.Allocate1D(Enumerable.Repeat(1f, before.Length).ToArray());
        using var optimiser = new ParameterUpdate(net);
        optimiser.Enqueue(gradients.View, 0.1f);
        net.Accelerator.Synchronize();
        var after = net.ReadParameters();
        foreach (var tensor in net.Info.Parameters)
            for (long i = tensor.Offset; i < tensor.Offset + tensor.Count; i++)
            {
                // v = -decay * lr * w - lr * g, from zero momentum: every trained value moves.
                float expected = tensor.Trainable ? before[i] - 0.0005f * tensor.DecayMult * 0.1f * tensor.LrMult * before[i] - 0.1f * tensor.LrMult : before[i];
                Assert.Equal(expected, after[i], 6);
            }

        using var folder = new TemporaryFolder();
        string path = folder.File("frozen.safetensors");
        Checkpoint.Save(path, net.Info, after, null, new TrainingState(1, 1, 0.1f, 0));
        var bias = net.Info.Parameters.Single(p => p.Name == "fc1.bias");
        Assert.False(bias.Trainable);
        var loaded = Checkpoint.Load(path, net.Info);
        Assert.Equal(after.AsSpan((int)bias.Offset, (int)bias.Count).ToArray(), loaded.Parameters.AsSpan((int)bias.Offset, (int)bias.Count).ToArray());
    }
}
