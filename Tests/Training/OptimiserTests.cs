using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Kernels;

namespace NetGen.Tests.Training;

/// <summary>The optimiser on the accelerator against the paper's update rule written out on the host.</summary>
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
        using var optimiser = new SgdMomentum(net);
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
