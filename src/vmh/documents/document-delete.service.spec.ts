import { beforeEach, describe, expect, it } from '@jest/globals';
import { asyncItems, newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import { UpstreamNotFoundError } from '../../core/errors/upstream.errors.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import { XaiClient } from '../../integrations/xai/xai.client.js';
import { DocumentDeleteService } from './document-delete.service.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';

const DEPS = { espo: EspoCrmClient, xai: XaiClient, linksIndex: DocumentLinksIndexStore };

describe('DocumentDeleteService and the learned links index', () => {
  let sut: DocumentDeleteService;
  let mocks: Mocks<typeof DEPS>;

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(DocumentDeleteService, DEPS));
    mocks.xai.listCollections.mockImplementation(() => asyncItems());
    mocks.linksIndex.drop.mockResolvedValue();
  });

  it('drops what was learned about a document EspoCRM confirms gone', async () => {
    mocks.espo.get.mockRejectedValue(new UpstreamNotFoundError('espocrm', 'not found'));
    await expect(sut.deleteDocument('d1')).resolves.toMatchObject({ status: 'deleted' });
    expect(mocks.linksIndex.drop).toHaveBeenCalledWith('d1');
  });

  it('deletes all the same when Redis does not answer', async () => {
    mocks.espo.get.mockRejectedValue(new UpstreamNotFoundError('espocrm', 'not found'));
    mocks.linksIndex.drop.mockRejectedValue(new Error('Connection is closed.'));
    await expect(sut.deleteDocument('d1')).resolves.toMatchObject({ status: 'deleted' });
  });

  it('keeps it for a delete event of a document that still exists', async () => {
    mocks.espo.get.mockResolvedValue({ id: 'd1', name: 'akte.txt' });
    await expect(sut.deleteDocument('d1')).resolves.toEqual({ status: 'still_exists' });
    expect(mocks.linksIndex.drop).not.toHaveBeenCalled();
  });
});
