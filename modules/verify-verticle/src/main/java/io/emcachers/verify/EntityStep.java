package io.emcachers.verify;

import io.emcachers.core.model.Entity;
import io.emcachers.core.projection.Projection;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 1: the entity must exist and this node must hold its cache; its epoch is noted (a stored run
 * of another epoch starts its pass over) and the shape's projection built.
 */
final class EntityStep extends RunStep {

  private static final Logger LOG = LoggerFactory.getLogger(EntityStep.class);

  EntityStep(RunContext c) {
    super(c);
  }

  @Override
  Future<Void> run() {
    step(1, "entity and cache of this node");
    if (p.resumes > 0 || p.docsChecked > 0 || !VerifyProgress.PHASE_SOURCE.equals(p.phase)) {
      LOG.info(
          "verify {} resumes run {} at phase {} after {} documents (last _id {})",
          p.entity,
          p.id,
          p.phase,
          p.docsChecked,
          p.lastId == null ? null : p.lastId.encode());
    }
    return with.entities()
        .get(p.entity)
        .compose(
            reply -> {
              Entity entity = reply.entity();
              c.entity = entity;
              if (p.epoch != 0 && p.epoch != entity.epoch()) {
                LOG.info(
                    "verify {}: epoch changed ({} -> {}): the pass starts over",
                    p.entity,
                    p.epoch,
                    entity.epoch());
                p.reset(with.config().buckets());
              }
              p.epoch = entity.epoch();
              c.projection = new Projection(entity.shape());
              return lastOplogId().mapEmpty();
            });
  }
}
